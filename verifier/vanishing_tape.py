"""V(zeta) compiled: the one generic definition traced once per circuit shape into a tape, run by a kernel.

:func:`verifier.vanishing.vanishing_combination` is written over any algebra
and never branches on a value, only on the circuit's shape (gates, widths,
config).  So running it once on :class:`_Tracer` values records the exact
sequence of F_p2 additions, subtractions and multiplications it performs for
that shape; :func:`run_tape` replays the recording on numbers.  The result is
the same field element as the reference computes for every proof of that
shape (same operations on the same values), at a fraction of the cost: the
reference creates a Python object per operation.  Nothing is hand-copied from
the gates: a change to a gate's constraints changes the recording.

A tape is built the first time a :class:`~verifier.proof.CommonData` is seen
with a given shape of :class:`~verifier.vanishing.EvaluationVars` (how many
values each field holds, which optional fields are present), about as long as
one reference evaluation, and cached.

Tape layout: ``values`` is an ``(n, 2)`` ``uint64`` array of F_p2 elements
(a0, a1): slot 0 holds 0, then the constants met while tracing, then the
inputs, then one slot per operation; ``ops`` rows are ``(code, a, b)`` and
operation k writes slot ``first_op_slot + k``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numba import njit

from verifier import field
from verifier.extension import Ext
from verifier.extension import W as _W
from verifier.goldilocks_jit import gl_add, gl_mul, gl_sub
from verifier.poseidon2 import DIGEST_SIZE
from verifier.proof import CommonData
from verifier.tracing import ADD, SUB, TracedValue
from verifier.vanishing import EvaluationVars, vanishing_combination

W = np.uint64(_W)


class _Recorder:
    """The tape being recorded: constants by value, inputs in order, operations in order."""

    def __init__(self) -> None:
        self.constants: dict[tuple[int, int], int] = {(0, 0): 0}
        self.inputs: list[_Tracer] = []
        self.ops: list[tuple[int, _Tracer | int, _Tracer | int]] = []

    def constant(self, value: int | Ext) -> int:
        """The constant id of ``value`` (ids are renumbered to slots when the tape is laid out)."""
        e = Ext.lift(value)
        return self.constants.setdefault((e.a0, e.a1), len(self.constants))

    def operation(self, code: int, a: _Tracer | int, b: _Tracer | int) -> _Tracer:
        """Append ``a code b`` to the operations; its traced result."""
        self.ops.append((code, a, b))
        return _Tracer(self, "op", len(self.ops) - 1)


class _Tracer(TracedValue):
    """A traced value of the light client's tape: an input (``kind`` "input") or an operation's result ("op")."""

    __slots__ = ("kind", "position")

    def __init__(self, recorder: _Recorder, kind: str, position: int) -> None:
        super().__init__(recorder)
        self.kind, self.position = kind, position


@dataclass(frozen=True)
class Tape:
    """A recorded evaluation: the initial slot values (constants), where inputs go, the operations."""

    template: np.ndarray
    first_input_slot: int
    num_inputs: int
    ops: np.ndarray
    output_slot: int


FieldShape = int | None
"""How a field of :class:`EvaluationVars` holds its values: None (absent), -1 (one value) or n (a sequence of n)."""

ONE_VALUE = -1


def _field_shapes(e: EvaluationVars[Any]) -> tuple[FieldShape, ...]:
    """The shape of every field of ``e``, in field order (what a tape is specialised to besides the circuit)."""
    shapes: list[FieldShape] = []
    for f in dataclasses.fields(e):
        value = getattr(e, f.name)
        shapes.append(None if value is None else len(value) if isinstance(value, (list, tuple)) else ONE_VALUE)
    return tuple(shapes)


def _flat_inputs(e: EvaluationVars[Any]) -> list[Any]:
    """The values of ``e`` in field order, sequences flattened (the order of the tape's inputs)."""
    flat: list[Any] = []
    for f in dataclasses.fields(e):
        value = getattr(e, f.name)
        if isinstance(value, (list, tuple)):
            flat.extend(value)
        elif value is not None:
            flat.append(value)
    return flat


def verifier_tape(common: CommonData) -> Tape:
    """The tape of the native verifier's evaluation at zeta for ``common`` (built once, then cached).

    Its field shapes: one value for x, L_0(x), beta and gamma, the oracles'
    columns, two values of Z(g x), the four elements of the public-inputs hash,
    and the two blinding factors with zero knowledge.
    """
    return vanishing_tape(common, _verifier_shapes(common))


@lru_cache(maxsize=16)
def vanishing_tape(common: CommonData, shapes: tuple[FieldShape, ...]) -> Tape:
    """Trace :func:`vanishing_combination` for this circuit and these field shapes (cached)."""
    recorder = _Recorder()

    def inputs(count: int) -> list[_Tracer]:
        new = [_Tracer(recorder, "input", len(recorder.inputs) + i) for i in range(count)]
        recorder.inputs += new
        return new

    fields: dict[str, Any] = {}
    for f, shape in zip(dataclasses.fields(EvaluationVars), shapes, strict=True):
        fields[f.name] = None if shape is None else inputs(1)[0] if shape == ONE_VALUE else inputs(shape)
    alpha = inputs(1)[0]
    result = vanishing_combination(common, EvaluationVars(**fields), alpha)
    if not isinstance(result, _Tracer):
        raise TypeError("vanishing_combination did not depend on its inputs")
    first_input = len(recorder.constants)
    first_op = first_input + len(recorder.inputs)

    def slot(operand: _Tracer | int) -> int:
        if isinstance(operand, int):
            return operand
        return (first_input if operand.kind == "input" else first_op) + operand.position

    ops = np.array([(code, slot(a), slot(b)) for code, a, b in recorder.ops], dtype=np.int64).reshape(-1, 3)
    template = np.zeros((first_op + len(ops), 2), dtype=np.uint64)
    for (a0, a1), index in recorder.constants.items():
        template[index] = (a0, a1)
    return Tape(template, first_input, len(recorder.inputs), ops, slot(result))


def _verifier_shapes(common: CommonData) -> tuple[FieldShape, ...]:
    """The field shapes of the native verifier's evaluation at zeta for ``common``."""
    widths = common.oracle_widths()
    nc = common.num_constant_columns
    known: dict[str, FieldShape] = {
        "x": ONE_VALUE,
        "l0_x": ONE_VALUE,
        "constants": nc,
        "sigmas": widths[0] - nc,
        "wires": widths[1],
        "zs_partials": widths[2],
        "zs_next": 2,
        "public_inputs_hash": DIGEST_SIZE,
        "beta": ONE_VALUE,
        "gamma": ONE_VALUE,
        "blinding": 2 if common.num_blinding_rows else None,
    }
    return tuple(known.get(f.name) for f in dataclasses.fields(EvaluationVars))


@njit(cache=True)
def run_tape(values: np.ndarray, ops: np.ndarray, first_op_slot: int) -> None:
    """Replay ``ops`` on ``values`` in place (F_p2: (a0 + a1 u)(b0 + b1 u) = a0 b0 + W a1 b1 + (a0 b1 + a1 b0) u)."""
    for k in range(ops.shape[0]):
        code, a, b = ops[k, 0], ops[k, 1], ops[k, 2]
        out = first_op_slot + k
        if code == ADD:
            values[out, 0] = gl_add(values[a, 0], values[b, 0])
            values[out, 1] = gl_add(values[a, 1], values[b, 1])
        elif code == SUB:
            values[out, 0] = gl_sub(values[a, 0], values[b, 0])
            values[out, 1] = gl_sub(values[a, 1], values[b, 1])
        else:
            a0, a1, b0, b1 = values[a, 0], values[a, 1], values[b, 0], values[b, 1]
            values[out, 0] = gl_add(gl_mul(a0, b0), gl_mul(W, gl_mul(a1, b1)))
            values[out, 1] = gl_add(gl_mul(a0, b1), gl_mul(a1, b0))


def compiled_vanishing_combination(common: CommonData, e: EvaluationVars[Ext], alpha: Ext) -> Ext:
    """The value of :func:`vanishing_combination` with the same arguments, from the tape of their shape."""
    tape = vanishing_tape(common, _field_shapes(e))
    values = tape.template.copy()
    flat = [Ext.lift(v) for v in _flat_inputs(e)] + [alpha]
    end = tape.first_input_slot + tape.num_inputs
    values[tape.first_input_slot : end] = np.array([(v.a0, v.a1) for v in flat], dtype=np.uint64)
    run_tape(values, tape.ops, end)
    a0, a1 = values[tape.output_slot]
    return Ext(int(a0) % field.P, int(a1) % field.P)


def load_kernel() -> None:
    """Load :func:`run_tape` (numba's on-disk cache, or compile) ahead of timed work."""
    run_tape(np.zeros((1, 2), dtype=np.uint64), np.zeros((0, 3), dtype=np.int64), 1)
