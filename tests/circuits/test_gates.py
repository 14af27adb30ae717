"""Shared gate harness, applied to every gate type.

For each gate: (1) rows produced by the builder's generators satisfy every
constraint; (2) changing any single wire that the gate determines breaks some
constraint; (3) the prover's vector evaluation and the verifier's extension
evaluation agree on random inputs; (4) the declared degree is the exact
degree of the constraints (tracked symbolically).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from circuits.builder import CircuitBuilder
from circuits.generators import generate_witness
from prover.algebra import FieldVec
from verifier.algebra import AlgebraDefaults
from verifier.extension import Ext
from verifier.field import P
from verifier.gates import Gate, GateVars, gate_from_name
from verifier.hashing import hash_elements

rng = random.Random(1234)


def rand() -> int:
    return rng.randrange(1, P)


@dataclass
class HonestRows:
    rows: list[tuple[Gate, list[int], list[int]]]  # gate, wires, constants
    pi_hash: list[int]


def honest_rows(gate_name: str, place: Callable[[CircuitBuilder], dict[int, int]]) -> HonestRows:
    b = CircuitBuilder()
    inputs = place(b)
    w = generate_witness(b.config.num_wires, len(b.rows), b.copies.classes(), b.generators, inputs)
    rows = [
        (r.gate, [int(v) for v in w.wires[:, i]], list(r.constants))
        for i, r in enumerate(b.rows)
        if r.gate.name == gate_name
    ]
    assert rows, f"no {gate_name} row was placed"
    return HonestRows(rows, list(hash_elements([1, 2, 3])))


def place_arithmetic(b: CircuitBuilder) -> dict[int, int]:
    xs = b.add_virtual_targets(6)
    b.arithmetic(3, 5, xs[0], xs[1], xs[2])
    b.arithmetic(3, 5, xs[3], xs[4], xs[5])
    return {t: rand() for t in xs}


def place_ext_arithmetic(b: CircuitBuilder) -> dict[int, int]:
    xs = b.add_virtual_targets(6)
    b.ext_arithmetic(7, 11, (xs[0], xs[1]), (xs[2], xs[3]), (xs[4], xs[5]))
    return {t: rand() for t in xs}


def place_constant(b: CircuitBuilder) -> dict[int, int]:
    b.constant(rand())
    b.constant(rand())
    return {}


def place_public_input(b: CircuitBuilder) -> dict[int, int]:
    xs = b.add_virtual_targets(3)
    b.register_public_inputs(xs)
    b._bind_public_inputs()
    return {t: v for t, v in zip(xs, [1, 2, 3], strict=True)}


def place_poseidon(swap_value: int) -> Callable[[CircuitBuilder], dict[int, int]]:
    def place(b: CircuitBuilder) -> dict[int, int]:
        xs = b.add_virtual_targets(12)
        swap = b.add_virtual_target()
        b.permute(xs, swap)
        return {**{t: rand() for t in xs}, swap: swap_value}

    return place


def place_base_sum(b: CircuitBuilder) -> dict[int, int]:
    x = b.add_virtual_target()
    b.split_le(x, 40)
    return {x: rng.randrange(1 << 40)}


def place_random_access(b: CircuitBuilder) -> dict[int, int]:
    idx = b.add_virtual_target()
    items = b.add_virtual_targets(8)
    b.random_access(idx, items)
    return {idx: 5, **{t: rand() for t in items}}


def place_reducing(extension: bool, count: int) -> Callable[[CircuitBuilder], dict[int, int]]:
    def place(b: CircuitBuilder) -> dict[int, int]:
        alpha = b.add_virtual_targets(2)
        coeffs = b.add_virtual_targets(count * (2 if extension else 1))
        items = [(coeffs[2 * i], coeffs[2 * i + 1]) for i in range(count)] if extension else coeffs
        b.reduce_with_powers((alpha[0], alpha[1]), items)  # type: ignore[arg-type]
        return {t: rand() for t in [*alpha, *coeffs]}

    return place


def place_fri_fold(arity_bits: int, folds: int) -> Callable[[CircuitBuilder], dict[int, int]]:
    def place(b: CircuitBuilder) -> dict[int, int]:
        xs = b.add_virtual_targets(folds * (2 << arity_bits) + 2 * folds)
        pairs = [(xs[2 * i], xs[2 * i + 1]) for i in range(len(xs) // 2)]
        per = (1 << arity_bits) + 1
        for f in range(folds):
            b.fri_fold(pairs[f * per : f * per + per - 1], pairs[f * per + per - 1])
        return {t: rand() for t in xs}

    return place


def place_poseidon2_linear(external: bool) -> Callable[[CircuitBuilder], dict[int, int]]:
    def place(b: CircuitBuilder) -> dict[int, int]:
        xs = b.add_virtual_targets(24)
        out = b.poseidon2_linear([(xs[2 * i], xs[2 * i + 1]) for i in range(12)], external)
        b.poseidon2_linear(out, not external)
        return {t: rand() for t in xs}

    return place


CASES: list[tuple[str, str, Callable[[CircuitBuilder], dict[int, int]]]] = [
    ("arithmetic", "Arithmetic(20)", place_arithmetic),
    ("ext-arithmetic", "ArithmeticExtension(10)", place_ext_arithmetic),
    ("constant", "Constant(2)", place_constant),
    ("public-input", "PublicInput", place_public_input),
    ("poseidon2-noswap", "Poseidon2", place_poseidon(0)),
    ("poseidon2-swap", "Poseidon2", place_poseidon(1)),
    ("base-sum", "BaseSum(63,2)", place_base_sum),
    ("random-access", "RandomAccess(3,8)", place_random_access),
    ("reducing", "Reducing(74,6)", place_reducing(False, 100)),
    ("reducing-extension", "ReducingExtension(37,6)", place_reducing(True, 50)),
    ("fri-fold-8", "FriFold(3,4)", place_fri_fold(3, 4)),
    ("fri-fold-16", "FriFold(4,2)", place_fri_fold(4, 2)),
    ("fri-fold-2", "FriFold(1,10)", place_fri_fold(1, 10)),
    ("poseidon2-linear-external", "Poseidon2Linear", place_poseidon2_linear(True)),
    ("poseidon2-linear-internal", "Poseidon2Linear", place_poseidon2_linear(False)),
]


def ext_eval(gate: Gate, wires: list[int], constants: list[int], pi_hash: list[int]) -> list[Ext]:
    v = GateVars(wires=[Ext(x) for x in wires], constants=[Ext(c) for c in constants], public_inputs_hash=pi_hash)
    return gate.eval_constraints(v)


def free_wires(gate: Gate, wires: list[int]) -> set[int]:
    """Wires a gate legitimately leaves unconstrained on this row."""
    if gate.name.startswith("RandomAccess"):
        from verifier.gates import RandomAccessGate

        assert isinstance(gate, RandomAccessGate)
        free = set()
        for c in range(gate.copies):
            index = wires[gate.index_wire(c)]
            free |= {gate.item_wire(c, i) for i in range(gate.vector_size) if i != index}
        return free
    if name_is_arithmetic(gate):
        # an unused op slot (all zero) has x * y with both factors free when the other is zero
        per_op = gate.WIRES_PER_OP  # type: ignore[attr-defined]
        free = set()
        for op in range(gate.num_ops):  # type: ignore[attr-defined]
            slot = range(op * per_op, (op + 1) * per_op)
            if not any(wires[c] for c in slot):
                free |= set(list(slot)[: per_op // 2])
        return free
    return set()


def name_is_arithmetic(gate: Gate) -> bool:
    return gate.name.startswith("Arithmetic")


@pytest.mark.parametrize(("case", "name", "place"), CASES, ids=[c[0] for c in CASES])
def test_honest_rows_satisfy_constraints(
    case: str, name: str, place: Callable[[CircuitBuilder], dict[int, int]]
) -> None:
    h = honest_rows(name, place)
    for gate, wires, consts in h.rows:
        values = ext_eval(gate, wires, consts, h.pi_hash)
        assert len(values) == gate.num_constraints
        assert all(v == 0 for v in values), f"{gate.name}: constraints {[i for i, v in enumerate(values) if v != 0]}"


@pytest.mark.parametrize(("case", "name", "place"), CASES, ids=[c[0] for c in CASES])
def test_perturbed_wire_breaks_a_constraint(
    case: str, name: str, place: Callable[[CircuitBuilder], dict[int, int]]
) -> None:
    h = honest_rows(name, place)
    gate, wires, consts = h.rows[0]
    free = free_wires(gate, wires)
    for col in range(gate.num_wires):
        if col in free:
            continue
        bad = list(wires)
        bad[col] = (bad[col] + 1 + rng.randrange(P - 1)) % P
        assert any(v != 0 for v in ext_eval(gate, bad, consts, h.pi_hash)), f"{gate.name}: wire {col} unconstrained"


@pytest.mark.parametrize(
    ("name", "place"),
    [("Constant(2)", place_constant), ("Poseidon2Linear", place_poseidon2_linear(True))],
    ids=["constant", "poseidon2-linear"],
)
def test_perturbed_constant_breaks_a_constraint(name: str, place: Callable[[CircuitBuilder], dict[int, int]]) -> None:
    h = honest_rows(name, place)
    gate, wires, consts = h.rows[0]
    for i in range(gate.num_constants):
        bad = list(consts)
        bad[i] = (bad[i] + 1) % P
        assert any(v != 0 for v in ext_eval(gate, wires, bad, h.pi_hash))


def test_public_input_gate_rejects_other_hash() -> None:
    h = honest_rows("PublicInput", place_public_input)
    gate, wires, consts = h.rows[0]
    other = list(hash_elements([1, 2, 4]))
    assert any(v != 0 for v in ext_eval(gate, wires, consts, other))


ALL_GATES = sorted({name for _, name, _ in CASES})


@pytest.mark.parametrize("name", ALL_GATES)
def test_vector_and_extension_evaluations_agree(name: str) -> None:
    gate = gate_from_name(name)
    length = 5
    wires = np.array([[rand() for _ in range(length)] for _ in range(135)], dtype=np.uint64)
    consts = np.array([[rand() for _ in range(length)] for _ in range(2)], dtype=np.uint64)
    pi = [rand() for _ in range(4)]
    vec = gate.eval_constraints(GateVars([FieldVec(w) for w in wires], [FieldVec(c) for c in consts], pi))
    for j in range(length):
        scalar = ext_eval(gate, [int(x) for x in wires[:, j]], [int(c) for c in consts[:, j]], pi)
        assert [int(c.a[j]) for c in vec] == [s.a0 for s in scalar]
        assert all(s.a1 == 0 for s in scalar)


class Deg(AlgebraDefaults):
    """Tracks the total degree of an expression in the wires and constants (an algebra with the defaults)."""

    def __init__(self, d: int) -> None:
        self.d = d

    @staticmethod
    def of(x: Any) -> int:
        return x.d if isinstance(x, Deg) else 0

    def __add__(self, o: Any) -> Deg:
        return Deg(max(self.d, Deg.of(o)))

    __radd__ = __add__
    __sub__ = __add__
    __rsub__ = __add__

    def __neg__(self) -> Deg:
        return self

    def __mul__(self, o: Any) -> Deg:
        return Deg(self.d + Deg.of(o))

    __rmul__ = __mul__


@pytest.mark.parametrize("name", ALL_GATES)
def test_declared_degree_is_exact(name: str) -> None:
    gate = gate_from_name(name)
    v = GateVars([Deg(1)] * 135, [Deg(1)] * 2, [0] * 4)
    degrees = [Deg.of(c) for c in gate.eval_constraints(v)]
    assert max(degrees) == gate.degree


def test_gate_names_round_trip_and_unknown_rejected() -> None:
    for name in [*ALL_GATES, "Noop"]:
        assert gate_from_name(name).name == name
    for bad in ["Nope", "Arithmetic(x)", "Arithmetic(01)", "Arithmetic"]:
        with pytest.raises(ValueError):
            gate_from_name(bad)


def _ext_inputs(b: CircuitBuilder, values: list[Ext]) -> tuple[list[tuple[int, int]], dict[int, int]]:
    pairs = [(b.add_virtual_target(), b.add_virtual_target()) for _ in values]
    return pairs, {t: c for p, v in zip(pairs, values, strict=True) for t, c in zip(p, (v.a0, v.a1), strict=True)}


@pytest.mark.parametrize(("extension", "count"), [(False, 1), (False, 74), (False, 263), (True, 16), (True, 75)])
def test_reduce_with_powers_computes_the_horner_sum(extension: bool, count: int) -> None:
    from verifier.extension import reduce_with_powers

    b = CircuitBuilder()
    alpha = Ext(rand(), rand())
    (alpha_t,), inputs = _ext_inputs(b, [alpha])
    values = [Ext(rand(), rand() if extension else 0) for _ in range(count)]
    if extension:
        coeffs, more = _ext_inputs(b, values)
    else:
        coeffs = b.add_virtual_targets(count)  # type: ignore[assignment]
        more = {t: v.a0 for t, v in zip(coeffs, values, strict=True)}  # type: ignore[misc]
    out = b.reduce_with_powers(alpha_t, coeffs)
    w = generate_witness(b.config.num_wires, len(b.rows), b.copies.classes(), b.generators, {**inputs, **more})
    assert Ext(*w.get_many(out)) == reduce_with_powers(values, alpha)


@pytest.mark.parametrize("arity_bits", [1, 2, 3, 4])
def test_fri_fold_interpolates_the_coset(arity_bits: int) -> None:
    from verifier import field
    from verifier.polynomial import Coset, barycentric_at

    b = CircuitBuilder()
    x0 = rand()
    beta = Ext(rand(), rand())
    values = [Ext(rand(), rand()) for _ in range(1 << arity_bits)]
    pairs, inputs = _ext_inputs(b, [*values, beta * field.inverse(x0)])
    out = b.fri_fold(pairs[:-1], pairs[-1])
    w = generate_witness(b.config.num_wires, len(b.rows), b.copies.classes(), b.generators, inputs)
    assert Ext(*w.get_many(out)) == barycentric_at(values, Coset(arity_bits, x0), beta)


@pytest.mark.parametrize("external", [True, False])
def test_poseidon2_linear_applies_the_layer_coordinatewise(external: bool) -> None:
    from verifier.poseidon2 import external_linear_layer, internal_linear_layer

    b = CircuitBuilder()
    state = [Ext(rand(), rand()) for _ in range(12)]
    pairs, inputs = _ext_inputs(b, state)
    out = b.poseidon2_linear(pairs, external)
    w = generate_witness(b.config.num_wires, len(b.rows), b.copies.classes(), b.generators, inputs)
    layer = external_linear_layer if external else internal_linear_layer
    expected = [Ext(a, c) for a, c in zip(layer([s.a0 for s in state]), layer([s.a1 for s in state]), strict=True)]
    assert [Ext(*w.get_many(t)) for t in out] == expected
