"""Traced values record the operations of the algebra, and refuse what a tape cannot hold."""

from __future__ import annotations

from typing import Any

import pytest

from verifier.extension import Ext
from verifier.tracing import ADD, MUL, SUB, TracedValue


class ListRecorder:
    """Records operations in a list; constants stand as ("const", value)."""

    def __init__(self) -> None:
        self.ops: list[tuple[int, Any, Any]] = []

    def constant(self, value: int | Ext) -> tuple[str, Ext]:
        return ("const", Ext.lift(value))

    def operation(self, code: int, a: Any, b: Any) -> TracedValue:
        self.ops.append((code, a, b))
        return TracedValue(self)


def test_each_operator_records_its_code_and_operand_order() -> None:
    recorder = ListRecorder()
    x, y = TracedValue(recorder), TracedValue(recorder)
    x + y, 3 - x, x * 5, -y
    two, three, five, zero = (("const", Ext.lift(v)) for v in (2, 3, 5, 0))
    assert recorder.ops[0] == (ADD, x, y)
    assert recorder.ops[1] == (SUB, three, x)
    assert recorder.ops[2] == (MUL, x, five)
    assert recorder.ops[3] == (SUB, zero, y)
    2 * x
    assert recorder.ops[4] == (MUL, two, x)


def test_branching_comparing_and_foreign_operands_are_refused() -> None:
    x = TracedValue(ListRecorder())
    with pytest.raises(TypeError, match="branches"):
        bool(x)
    with pytest.raises(TypeError, match="compares"):
        x == x  # noqa: B015
    with pytest.raises(TypeError, match="float"):
        x + 1.5
    with pytest.raises(TypeError):
        hash(x)
