"""V(x) on the LDE coset compiled: the generic vanishing terms traced once per circuit, run by one fused kernel.

The readable quotient path (``prover.quotient.combine_terms`` over
``verifier.vanishing.vanishing_terms`` on ``FieldVec``/``ExtVec`` columns)
makes one Python call and one temporary column per operation. Here the same
generic code runs once on :class:`_Traced` values, which record the operations
instead of doing them, and :func:`_run_blocks` replays the recording point
by point (in blocks of ``LANES`` points, so each operation is a short
contiguous loop) with every intermediate in a small register file. Nothing is
hand-copied from the gates: a change to a gate's constraints changes the tape.

What is recorded is V(x) = sum_j alpha^j t_j with t_j the vanishing terms in
their fixed order (``verifier.vanishing.vanishing_terms``), each gate's terms
summed under its selector (:func:`_combination`): the same field element as
:func:`~prover.quotient.combine_terms` at every point (exact arithmetic on
canonical values), so the same proof.

Each traced value is one of three kinds:

* *uniform*: the same at every point (constants, beta, gamma, alpha, the
  public-inputs hash, and operations on those only). Uniform operations form a
  short prologue evaluated once per proof on ``Ext`` (:func:`uniform_values`);
* *base* / *ext*: a per-point value in F_p or F_p2. An operation on two base
  values stays in F_p (one multiplication, not four), and a base times an ext
  value costs two, which is what makes the combination cheap.

Registers are reused once a value is dead (a linear scan over the tape), so a
circuit of thousands of operations needs a few hundred registers of ``LANES``
points each. A uniform operand is not a register: the kernel reads it as a
scalar from the prologue's values (about a third of the operations have one),
so the register file holds only per-point values and each such operation
reads one vector instead of two.

Tape rows are ``(code, out, a, b)`` with ``code = 4 op + 2 ext(a) + ext(b)``
(op in ADD, SUB, MUL; ext(.) 1 for an F_p2 operand, 0 for a base one), plus
``UNIFORM_B`` when b is a uniform value (then b indexes the prologue) and
``REVERSED`` for a uniform minus a point value (then o = b - a). A uniform
left operand of ADD or MUL is swapped to the right (the same field element).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numba import njit

from prover.field_kernels import FieldArray, gl_ext_mul
from prover.threads import run_in_parts
from verifier.extension import Ext
from verifier.goldilocks_jit import MASK32, gl_add, gl_mul, gl_mul_small, gl_sub
from verifier.poseidon2 import DIGEST_SIZE
from verifier.proof import CommonData
from verifier.tracing import ADD, SUB, TracedValue
from verifier.vanishing import EvaluationVars, permutation_terms

# ADD, SUB, MUL (verifier.tracing) are the operations of a tape row (the code's high part).

LANES = 256
"""Points per block: each tape operation is one loop over this many points of registers (a
compile-time constant of the kernel; 256 measured fastest on the development machine; a
2^13-row Merkle workload's tape then needs about 400 registers, 1.6 MiB)."""

UNIFORM_B = 16
"""Code flag: operand b is a uniform value, read as a scalar from the prologue's values."""
REVERSED = 32
"""Code flag (with ``UNIFORM_B``, for SUB only): the row computes b - a, a uniform minus a point value."""

CS, WIRES, ZS, EXTRA = 0, 1, 2, 3
"""The input sources: the constants-sigmas, wires and Z/partial-products LDEs, and the extra rows
(x, L_0(x), and with zero knowledge L_{n-h}(x), Z_B(x))."""


class _Recorder:
    """The tape being recorded.

    Uniform values: ``uniform`` holds ("const", Ext), ("input", i) or ("op", code, a, b) entries
    (a, b uniform indices). Point values: ``points`` holds ("input", source, row, shift) or
    ("op", code, a, b) entries with a, b :class:`_Traced` operands.
    """

    def __init__(self) -> None:
        self.uniform: list[tuple[Any, ...]] = []
        self.uniform_base: list[bool] = []
        self.constants: dict[tuple[int, int], int] = {}
        self.points: list[tuple[Any, ...]] = []
        self.point_base: list[bool] = []

    def constant(self, value: int | Ext) -> _Traced:
        e = Ext.lift(value)
        key = (e.a0, e.a1)
        if key not in self.constants:
            self.constants[key] = self._add_uniform(("const", e), e.a1 == 0)
        return _Traced(self, True, self.constants[key])

    def uniform_input(self, position: int, base: bool) -> _Traced:
        return _Traced(self, True, self._add_uniform(("input", position), base))

    def point_input(self, source: int, row: int, shift: int = 0) -> _Traced:
        self.points.append(("input", source, row, shift))
        self.point_base.append(True)
        return _Traced(self, False, len(self.points) - 1)

    def _add_uniform(self, entry: tuple[Any, ...], base: bool) -> int:
        self.uniform.append(entry)
        self.uniform_base.append(base)
        return len(self.uniform) - 1

    def is_base(self, v: _Traced) -> bool:
        return self.uniform_base[v.index] if v.uniform else self.point_base[v.index]

    def operation(self, code: int, a: _Traced, b: _Traced) -> _Traced:
        base = self.is_base(a) and self.is_base(b)
        if a.uniform and b.uniform:
            return _Traced(self, True, self._add_uniform(("op", code, a.index, b.index), base))
        self.points.append(("op", code, a, b))
        self.point_base.append(base)
        return _Traced(self, False, len(self.points) - 1)


class _Traced(TracedValue):
    """A traced value of the coset tape: ``uniform`` (the same at every point, an index into the
    prologue) or per point (an index into the point operations)."""

    __slots__ = ("index", "uniform")

    def __init__(self, recorder: _Recorder, uniform: bool, index: int) -> None:
        super().__init__(recorder)
        self.uniform, self.index = uniform, index


@dataclass(frozen=True)
class QuotientTape:
    """A compiled V(x) for one circuit.

    ``uniform`` is the prologue (evaluated per proof by :func:`uniform_values`),
    ``inputs`` rows ``(source, row, shift, register)``, ``ops`` rows ``(code, out, a, b)``.
    """

    uniform: tuple[tuple[Any, ...], ...]
    inputs: np.ndarray
    ops: np.ndarray
    num_registers: int
    output_register: int


UNIFORM_INPUTS = ("beta", "gamma", "alpha", *(f"public_inputs_hash[{i}]" for i in range(DIGEST_SIZE)))
"""The uniform inputs in the order :func:`uniform_values` takes them."""


@lru_cache(maxsize=16)
def quotient_tape(common: CommonData) -> QuotientTape:
    """Trace sum_j alpha^j t_j over ``vanishing_terms`` for this circuit (cached per circuit)."""
    rec = _Recorder()
    beta, gamma, alpha = (rec.uniform_input(i, base=False) for i in range(3))
    pi_hash = [rec.uniform_input(3 + i, base=True) for i in range(DIGEST_SIZE)]
    nc = common.num_constant_columns
    widths = common.oracle_widths()
    rate = common.config.quotient_rate_bits  # Z(g x) is 2^rate points further along the quotient subcoset
    e = EvaluationVars[_Traced](
        x=rec.point_input(EXTRA, 0),
        l0_x=rec.point_input(EXTRA, 1),
        constants=[rec.point_input(CS, i) for i in range(nc)],
        sigmas=[rec.point_input(CS, i) for i in range(nc, widths[0])],
        wires=[rec.point_input(WIRES, i) for i in range(widths[1])],
        zs_partials=[rec.point_input(ZS, i) for i in range(widths[2])],
        zs_next=[rec.point_input(ZS, i, 1 << rate) for i in range(2)],
        public_inputs_hash=pi_hash,
        beta=beta,
        gamma=gamma,
        blinding=(rec.point_input(EXTRA, 2), rec.point_input(EXTRA, 3)) if common.num_blinding_rows else None,
    )
    acc = _combination(common, e, alpha)
    if not isinstance(acc, _Traced) or acc.uniform:
        raise TypeError("the vanishing terms do not depend on the points")
    return _allocate(rec, acc.index)


def _combination(common: CommonData, e: EvaluationVars[_Traced], alpha: _Traced) -> Any:
    """sum_j alpha^j t_j over ``vanishing_terms`` in their order, each gate's terms grouped under its selector.

    The gate terms are t = S_g C_{g,i} (``gate_constraint_terms``), so gate g's share is
    S_g * sum_i alpha^{o_g + i} C_{g,i} (o_g the position of its first term): one product by
    the selector per gate instead of one per constraint. Each alpha power is uniform, so a
    base-field constraint costs two base products into the F_p2 sum. Exact field arithmetic,
    so the same element as the ungrouped sum (and as ``combine_terms``) at every point.
    """
    ns = common.num_selectors
    v = e.gate_vars(ns)
    acc: Any = None
    power: Any = None  # alpha^j for the next term j (None: j = 0, the power 1)

    def weighted(term: Any) -> Any:
        nonlocal power
        out = term if power is None else power * term
        power = alpha if power is None else power * alpha
        return out

    for gate, selector in zip(common.gates, e.constants[:ns], strict=True):
        constraints = gate.eval_constraints(v)
        if constraints:
            inner = weighted(constraints[0])
            for c in constraints[1:]:
                inner = inner + weighted(c)
            acc = selector * inner if acc is None else acc + selector * inner
    for term in permutation_terms(common, e):
        acc = weighted(term) if acc is None else acc + weighted(term)
    return acc


def _code(rec: _Recorder, op: int, a: _Traced, b: _Traced) -> int:
    return 4 * op + 2 * (not rec.is_base(a)) + (not rec.is_base(b)) + (UNIFORM_B if b.uniform else 0)


def _allocate(rec: _Recorder, output: int) -> QuotientTape:
    """Registers by a linear scan over the operations V needs.

    Uniform operands stay in the prologue (a row's b, after swapping a uniform a of ADD or MUL
    to the right and marking a uniform a of SUB ``REVERSED``); inputs are loaded at the start of
    every block, so their registers, like a temporary's, are reused after their last use (never
    by the operation that reads them last, so no operation writes a register it reads).
    """
    needed = {output}
    for k in range(len(rec.points) - 1, -1, -1):
        entry = rec.points[k]
        if k in needed and entry[0] == "op":
            needed.update(operand.index for operand in entry[2:] if not operand.uniform)
    last_use: dict[int, int] = {}
    for k, entry in enumerate(rec.points):
        if k in needed and entry[0] == "op":
            for operand in entry[2:]:
                if not operand.uniform:
                    last_use[operand.index] = k
    last_use[output] = len(rec.points)
    next_register = 0
    point_register: dict[int, int] = {}
    inputs: list[tuple[int, int, int, int]] = []
    for k, entry in enumerate(rec.points):
        if entry[0] == "input" and k in needed:
            point_register[k] = next_register
            inputs.append((entry[1], entry[2], entry[3], next_register))
            next_register += 1
    free: list[int] = []
    ops: list[tuple[int, int, int, int]] = []

    def location(v: _Traced) -> int:
        return v.index if v.uniform else point_register[v.index]

    for k, entry in enumerate(rec.points):
        if entry[0] != "op" or k not in needed:
            continue
        _, op, a, b = entry
        reversed_sub = 0
        if a.uniform:  # a point value op a uniform one, as a row whose b is the uniform operand
            a, b = b, a
            reversed_sub = REVERSED if op == SUB else 0
        if free:
            out = free.pop()
        else:
            out, next_register = next_register, next_register + 1
        point_register[k] = out
        ops.append((_code(rec, op, a, b) + reversed_sub, out, location(a), location(b)))
        for value in {v.index: v for v in (a, b) if not v.uniform}.values():
            if last_use[value.index] == k:
                free.append(point_register[value.index])
    return QuotientTape(
        uniform=tuple(rec.uniform),
        inputs=np.array(inputs, dtype=np.int64).reshape(-1, 4),
        ops=np.array(ops, dtype=np.int64).reshape(-1, 4),
        num_registers=next_register,
        output_register=point_register[output],
    )


def uniform_values(
    tape: QuotientTape, beta: Ext, gamma: Ext, alpha: Ext, public_inputs_hash: Sequence[int]
) -> np.ndarray:
    """The prologue on ``Ext``: every uniform value, as a ``(U, 2)`` array of canonical (a0, a1)."""
    inputs = [beta, gamma, alpha, *(Ext(h) for h in public_inputs_hash)]
    values: list[Ext] = []
    for entry in tape.uniform:
        if entry[0] == "const":
            values.append(entry[1])
        elif entry[0] == "input":
            values.append(inputs[entry[1]])
        else:
            _, op, a, b = entry
            x, y = values[a], values[b]
            values.append(x + y if op == ADD else x - y if op == SUB else x * y)
    return np.array([(v.a0, v.a1) for v in values], dtype=np.uint64).reshape(-1, 2)


def evaluate_on_coset(
    tape: QuotientTape,
    uniform: np.ndarray,
    sources: tuple[FieldArray, FieldArray, FieldArray, FieldArray],
    threads: int = 1,
) -> tuple[FieldArray, FieldArray]:
    """V at every point of the coset, as its two coordinate columns (``sources`` in CS, WIRES, ZS, EXTRA order).

    The blocks are split into ``threads`` contiguous parts (``prover.threads``), each with its
    own register file.
    """
    n = sources[EXTRA].shape[1]
    v0 = np.empty(n, dtype=np.uint64)
    v1 = np.empty(n, dtype=np.uint64)
    cs, wires, zs, extra = (np.ascontiguousarray(s) for s in sources)
    values = np.ascontiguousarray(uniform, dtype=np.uint64)

    def run(first_block: int, stop_block: int) -> None:
        regs = np.zeros((tape.num_registers, 2, LANES), dtype=np.uint64)
        blocks = (first_block, stop_block)
        _run_blocks(cs, wires, zs, extra, tape.inputs, tape.ops, values, regs, *blocks, tape.output_register, v0, v1)

    run_in_parts((n + LANES - 1) // LANES, run, threads)
    return v0, v1


@njit(inline="always", cache=True)
def _load(column: FieldArray, start: int, out: FieldArray) -> None:
    """out = column[start : start + LANES], cyclically (a shifted start reads Z(g x); a coset smaller
    than a block repeats)."""
    n = column.shape[0]
    if start + LANES <= n:
        out[:] = column[start : start + LANES]
    else:
        for lane in range(LANES):
            out[lane] = column[(start + lane) % n]


@njit(inline="always", cache=True)
def _point_op(
    code: int, o0: FieldArray, o1: FieldArray, a0: FieldArray, a1: FieldArray, b0: FieldArray, b1: FieldArray
) -> None:
    """o = a op b lane by lane for two point values (``code`` without flags)."""
    op, ext_a, ext_b = code >> 2, (code >> 1) & 1, code & 1
    if op == ADD:
        for lane in range(LANES):
            o0[lane] = gl_add(a0[lane], b0[lane])
        if ext_a and ext_b:
            for lane in range(LANES):
                o1[lane] = gl_add(a1[lane], b1[lane])
        elif ext_a:
            o1[:] = a1
        elif ext_b:
            o1[:] = b1
    elif op == SUB:
        for lane in range(LANES):
            o0[lane] = gl_sub(a0[lane], b0[lane])
        if ext_a and ext_b:
            for lane in range(LANES):
                o1[lane] = gl_sub(a1[lane], b1[lane])
        elif ext_a:
            o1[:] = a1
        elif ext_b:
            for lane in range(LANES):
                o1[lane] = gl_sub(np.uint64(0), b1[lane])
    elif ext_a and ext_b:
        for lane in range(LANES):
            o0[lane], o1[lane] = gl_ext_mul(a0[lane], a1[lane], b0[lane], b1[lane])
    elif ext_a:
        for lane in range(LANES):
            o0[lane] = gl_mul(a0[lane], b0[lane])
            o1[lane] = gl_mul(a1[lane], b0[lane])
    elif ext_b:
        for lane in range(LANES):
            o0[lane] = gl_mul(a0[lane], b0[lane])
            o1[lane] = gl_mul(a0[lane], b1[lane])
    else:
        for lane in range(LANES):
            o0[lane] = gl_mul(a0[lane], b0[lane])


@njit(inline="always", cache=True)
def _uniform_op(
    code: int, o0: FieldArray, o1: FieldArray, a0: FieldArray, a1: FieldArray, u0: np.uint64, u1: np.uint64
) -> None:
    """o = a op u lane by lane (u - a with ``REVERSED``) for a point value a and a uniform scalar u."""
    op, ext_a, ext_u = (code >> 2) & 3, (code >> 1) & 1, code & 1
    if op == ADD:
        for lane in range(LANES):
            o0[lane] = gl_add(a0[lane], u0)
        if ext_a and ext_u:
            for lane in range(LANES):
                o1[lane] = gl_add(a1[lane], u1)
        elif ext_a:
            o1[:] = a1
        elif ext_u:
            o1[:] = u1
    elif op == SUB and code & REVERSED:
        for lane in range(LANES):
            o0[lane] = gl_sub(u0, a0[lane])
        if ext_a and ext_u:
            for lane in range(LANES):
                o1[lane] = gl_sub(u1, a1[lane])
        elif ext_a:
            for lane in range(LANES):
                o1[lane] = gl_sub(np.uint64(0), a1[lane])
        elif ext_u:
            o1[:] = u1
    elif op == SUB:
        for lane in range(LANES):
            o0[lane] = gl_sub(a0[lane], u0)
        if ext_a and ext_u:
            for lane in range(LANES):
                o1[lane] = gl_sub(a1[lane], u1)
        elif ext_a:
            o1[:] = a1
        elif ext_u:
            o1[:] = gl_sub(np.uint64(0), u1)
    elif ext_a and ext_u:
        for lane in range(LANES):
            o0[lane], o1[lane] = gl_ext_mul(a0[lane], a1[lane], u0, u1)
    elif ext_a and u0 <= MASK32:  # a small base factor (the identity labels' ratio 7): two 32-bit products
        for lane in range(LANES):
            o0[lane] = gl_mul_small(a0[lane], u0)
            o1[lane] = gl_mul_small(a1[lane], u0)
    elif ext_a:
        for lane in range(LANES):
            o0[lane] = gl_mul(a0[lane], u0)
            o1[lane] = gl_mul(a1[lane], u0)
    elif ext_u:
        for lane in range(LANES):
            o0[lane] = gl_mul(a0[lane], u0)
            o1[lane] = gl_mul(a0[lane], u1)
    else:
        for lane in range(LANES):
            o0[lane] = gl_mul(a0[lane], u0)


@njit(cache=True, nogil=True)
def _run_blocks(
    cs: FieldArray,
    wires: FieldArray,
    zs: FieldArray,
    extra: FieldArray,
    inputs: np.ndarray,
    ops: np.ndarray,
    uniform: np.ndarray,
    regs: np.ndarray,
    first_block: int,
    stop_block: int,
    output_register: int,
    v0: FieldArray,
    v1: FieldArray,
) -> None:
    """The tape on blocks ``first_block .. stop_block - 1`` with register file ``regs`` (num_registers, 2, LANES).

    ``uniform`` (U, 2) holds the prologue's values, read as scalars by rows flagged ``UNIFORM_B``.
    F_p2 products are (a0 + a1 u)(b0 + b1 u) = a0 b0 + W a1 b1 + (a0 b1 + a1 b0) u; a base
    operand has no u part, so its code skips those products.
    """
    n = v0.shape[0]
    for block in range(first_block, stop_block):
        start = block * LANES
        for i in range(inputs.shape[0]):
            source, row, shift, r = inputs[i, 0], inputs[i, 1], inputs[i, 2], inputs[i, 3]
            if source == CS:
                _load(cs[row], start + shift, regs[r, 0])
            elif source == WIRES:
                _load(wires[row], start + shift, regs[r, 0])
            elif source == ZS:
                _load(zs[row], start + shift, regs[r, 0])
            else:
                _load(extra[row], start + shift, regs[r, 0])
        for k in range(ops.shape[0]):
            code, o, a, b = ops[k, 0], ops[k, 1], ops[k, 2], ops[k, 3]
            if code & UNIFORM_B:
                _uniform_op(code, regs[o, 0], regs[o, 1], regs[a, 0], regs[a, 1], uniform[b, 0], uniform[b, 1])
            else:
                _point_op(code, regs[o, 0], regs[o, 1], regs[a, 0], regs[a, 1], regs[b, 0], regs[b, 1])
        width = min(LANES, n - start)
        v0[start : start + width] = regs[output_register, 0, :width]
        v1[start : start + width] = regs[output_register, 1, :width]
