"""The before/after benchmarks of the prover and light client: what they run and check, never how long it takes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bench import light_client, witness
from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from circuits.witness import Target
from verifier.plonk import VerificationError
from verifier.proof import ProofWithPublicInputs


@pytest.fixture(scope="module")
def chain() -> tuple[CircuitData, Target, ProofWithPublicInputs]:
    """x -> x^2 + i, 40 times, with a hash: arithmetic, constant and Poseidon2 rows."""
    b = CircuitBuilder()
    x = b.add_virtual_target()
    y = x
    for i in range(40):
        y = b.add_const(b.mul(y, y), i)
    b.register_public_inputs([y, *b.hash_elements([x, y])])
    circuit = b.build()
    return circuit, x, circuit.prove({x: 3})


def test_light_client_comparison_verifies_with_both_paths(
    chain: tuple[CircuitData, Target, ProofWithPublicInputs],
) -> None:
    circuit, _, proof = chain
    rows = light_client.compare(circuit.verifier_key, proof, repeat=1)
    assert [unit for _, _, unit in rows] == ["ms", "ms", "ms", "ms", "x"]
    assert all(value > 0 for _, value, _ in rows)
    bad = dataclasses.replace(proof, public_inputs=(proof.public_inputs[0] + 1, *proof.public_inputs[1:]))
    with pytest.raises(VerificationError):
        light_client.compare(circuit.verifier_key, bad, repeat=1)


def test_witness_comparison_fills_both_ways(chain: tuple[CircuitData, Target, ProofWithPublicInputs]) -> None:
    circuit, x, _ = chain
    rows = witness.compare("chain", circuit, {x: 3}, repeat=1)
    assert [name for name, _, _ in rows] == ["chain: worklist fill (before)", "chain: replayed order (after)"]
    assert len(circuit.witness_plan.orders) == 1


def test_targets_proof_vs_floor_measures_both_quotient_paths() -> None:
    """Both paths prove; the floor is the hashing inside the proof, so each ratio is above 1."""
    from bench import targets

    rows = targets.proof_vs_floor(6, rounds=1)
    ratios = [value for label, value, unit in rows if unit == "x"]
    assert len(ratios) == 2 and all(r > 1 for r in ratios)
    assert all(value > 0 for _, value, _ in rows)


def test_targets_reexecution_covers_sends_and_their_claims() -> None:
    """The baseline re-executes a block of sends and the block claiming every one of them."""
    from bench import targets

    rows = targets.reexecution_rows(40, verify_seconds=1e-3)
    labels = [label for label, _, _ in rows]
    assert labels[0].startswith("re-execute 40 sends") and "the 40 claims" in labels[2]
    assert all(value > 0 for _, value, _ in rows)


def test_the_verification_plot_is_written(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from bench import targets

    path = tmp_path / "plot.png"
    targets.plot([(10, 0.004), (1000, 0.0045)], path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_the_latency_tail_is_the_time_one_job_ran_alone() -> None:
    """Two jobs overlap on [1, 3]; then c runs alone from 4 to 6 and d from 6 to 9: 1 + 1 + 2 + 3 seconds alone."""
    from bench import targets
    from prover.jobs.model import JobRecord

    spans = {"a": (0.0, 3.0), "b": (1.0, 4.0), "c": (4.0, 6.0), "d": (6.0, 9.0), "lost": (None, None)}
    records = {key: JobRecord(key, "ok", 1, start, end) for key, (start, end) in spans.items()}
    lone, tail = targets.lone_tail(records)
    assert lone == 7.0
    assert tail == [("b", 3.0), ("c", 2.0), ("d", 3.0)]
