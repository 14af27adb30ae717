"""The recorded generator order: replaying it fills the same witness, or fails the same way."""

from __future__ import annotations

import numpy as np
import pytest

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from circuits.witness import Target, WitnessConflictError
from verifier.field import P


def small_circuit() -> tuple[CircuitData, list[Target]]:
    """Hints (an inverse, bit splits), arithmetic and a Poseidon2 hash over two inputs; returns (x, y, 1/(x+1))."""
    b = CircuitBuilder()
    x, y = b.add_virtual_target(), b.add_virtual_target()
    inverse = b.inverse(b.add_const(x, 1))
    bits = b.split_le(y, 16)
    digest = b.hash_elements([x, y, inverse, *bits[:3]])
    b.register_public_inputs([b.mul_add(x, inverse, y), *digest])
    return b.build(), [x, y, inverse]


def test_replayed_order_fills_the_same_witness_for_other_values() -> None:
    circuit, (x, y, _) = small_circuit()
    first = circuit.generate_witness({x: 5, y: 1234})
    assert len(circuit.witness_plan.orders) == 1
    order = next(iter(circuit.witness_plan.orders.values()))
    assert sorted(order) == list(range(len(circuit.generators)))
    replayed = circuit.generate_witness({x: 5, y: 1234})
    assert np.array_equal(replayed.wires, first.wires)
    other = circuit.generate_witness({x: 9, y: 77})  # replayed for other values of the same inputs
    fresh = CircuitData(**{f: getattr(circuit, f) for f in CircuitData.__dataclass_fields__ if f != "witness_plan"})
    assert np.array_equal(other.wires, fresh.generate_witness({x: 9, y: 77}).wires)
    assert not np.array_equal(other.wires, first.wires)
    circuit.verify(circuit.prove_witness(other))


def test_another_set_of_inputs_gets_its_own_order() -> None:
    circuit, (x, y, inverse) = small_circuit()
    first = circuit.generate_witness({x: 5, y: 1234})
    given = circuit.generate_witness({x: 5, y: 1234, inverse: pow(6, P - 2, P)})  # a hint's output given too
    assert len(circuit.witness_plan.orders) == 2
    assert np.array_equal(given.wires, first.wires)


def test_a_failed_first_fill_records_no_order() -> None:
    circuit, (x, y, inverse) = small_circuit()
    with pytest.raises(WitnessConflictError):
        circuit.generate_witness({x: 5, y: 1234, inverse: 7})
    assert circuit.witness_plan.orders == {}


def test_a_replayed_fill_fails_like_the_first() -> None:
    """y = 2^16 does not fit 16 bits: the bit split's checks fail on the first fill and on the replay alike."""
    circuit, (x, y, _) = small_circuit()
    circuit.generate_witness({x: 5, y: 6})
    with pytest.raises(Exception) as replay:
        circuit.prove_witness(circuit.generate_witness({x: 5, y: 1 << 16}))
    fresh = CircuitData(**{f: getattr(circuit, f) for f in CircuitData.__dataclass_fields__ if f != "witness_plan"})
    with pytest.raises(Exception) as first:
        fresh.prove_witness(fresh.generate_witness({x: 5, y: 1 << 16}))
    assert (type(replay.value), str(replay.value)) == (type(first.value), str(first.value))
