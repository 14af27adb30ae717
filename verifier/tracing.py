"""Tracing the algebra: values whose arithmetic records operations instead of computing them.

Generic code written against :class:`~verifier.algebra.Algebra` (the vanishing
combination) runs once on traced values and leaves behind a tape: a list of
``(code, a, b)`` operations with ``code`` in ``ADD, SUB, MUL`` over inputs and
constants. The composite operations of the contract are recorded through
their defining formulas (:class:`~verifier.algebra.AlgebraDefaults`), so the
tape computes exactly what the readable evaluation computes. A tape cannot
hold a branch or a comparison on a traced value: those raise ``TypeError``.

Two recorders use it: the light client's tape at one point
(:mod:`verifier.vanishing_tape`) and the prover's tape over an LDE coset
(:mod:`prover.quotient_tape`). A recorder supplies ``constant(value)`` (an
operand standing for a constant) and ``operation(code, a, b)`` (the traced
result).
"""

from __future__ import annotations

from typing import Any, Protocol, Self

from verifier.algebra import AlgebraDefaults
from verifier.extension import Ext

ADD, SUB, MUL = 0, 1, 2
"""Operation codes of a tape row."""


class Recorder(Protocol):
    """Where traced values record their operations."""

    def constant(self, value: int | Ext) -> Any:
        """The operand standing for the constant ``value``."""

    def operation(self, code: int, a: Any, b: Any) -> Any:
        """Record ``a code b`` and return its traced result."""


class TracedValue(AlgebraDefaults):
    """A value of the algebra being traced; subclasses add what their recorder needs to place it."""

    __slots__ = ("recorder",)

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def _operand(self, other: Any) -> Any:
        if isinstance(other, TracedValue):
            return other
        if isinstance(other, (int, Ext)):
            return self.recorder.constant(other)
        raise TypeError(f"cannot trace an operation with a {type(other).__name__}")

    def __add__(self, other: Any) -> Self:
        return self.recorder.operation(ADD, self, self._operand(other))  # type: ignore[no-any-return]

    def __radd__(self, other: Any) -> Self:
        return self.recorder.operation(ADD, self._operand(other), self)  # type: ignore[no-any-return]

    def __sub__(self, other: Any) -> Self:
        return self.recorder.operation(SUB, self, self._operand(other))  # type: ignore[no-any-return]

    def __rsub__(self, other: Any) -> Self:
        return self.recorder.operation(SUB, self._operand(other), self)  # type: ignore[no-any-return]

    def __neg__(self) -> Self:
        return self.recorder.operation(SUB, self.recorder.constant(0), self)  # type: ignore[no-any-return]

    def __mul__(self, other: Any) -> Self:
        return self.recorder.operation(MUL, self, self._operand(other))  # type: ignore[no-any-return]

    def __rmul__(self, other: Any) -> Self:
        return self.recorder.operation(MUL, self._operand(other), self)  # type: ignore[no-any-return]

    def __bool__(self) -> bool:
        raise TypeError("the traced code branches on a value: it cannot be compiled to a tape")

    def __eq__(self, other: object) -> bool:
        raise TypeError("the traced code compares values: it cannot be compiled to a tape")

    __hash__ = None  # type: ignore[assignment]
