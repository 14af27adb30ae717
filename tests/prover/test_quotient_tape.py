"""The compiled V(x) agrees exactly with the readable path, on random columns and in real proofs on any thread count."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import prover.blinding as blinding
from bench.proof import merkle_workload
from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from circuits.witness import Target, Witness
from prover.plonk_prover import MIN_ROWS_PER_THREAD
from prover.quotient import CosetColumns, QuotientOptions, compiled_vanishing_on_coset, readable_vanishing_on_coset
from prover.quotient_tape import (
    EXTRA,
    LANES,
    REVERSED,
    UNIFORM_B,
    _allocate,
    _Recorder,
    evaluate_on_coset,
    quotient_tape,
    uniform_values,
)
from prover.threads import set_proof_threads
from verifier.config import SHRINK_CONFIG, STANDARD_CONFIG, STANDARD_ZK_CONFIG, ProofConfig
from verifier.extension import Ext
from verifier.field import P
from verifier.proof import CommonData
from verifier.serialization import proof_to_bytes
from verifier.tracing import MUL


def square_chain(config: ProofConfig, rows: int) -> tuple[CircuitData, Target]:
    """acc = s^2, then acc = acc^2 + s up to about ``rows`` arithmetic rows; the last acc public; (circuit, s)."""
    b = CircuitBuilder(config)
    s = b.add_virtual_target()
    acc = b.mul(s, s)
    while len(b.rows) < rows:
        acc = b.mul_add(acc, acc, s)
    b.register_public_input(acc)
    return b.build(), s


@pytest.fixture(scope="module")
def merkle_circuit() -> CircuitData:
    """Poseidon2, arithmetic, constant and public-input gates: the gates of every rollup circuit."""
    circuit = merkle_workload(6).circuit
    assert circuit is not None
    return circuit


def random_columns(common: CommonData, rng: np.random.Generator) -> CosetColumns:
    n = common.degree << common.config.quotient_rate_bits
    widths = common.oracle_widths()

    def r(*shape: int) -> np.ndarray:
        return rng.integers(0, P, size=shape, dtype=np.uint64)

    blinding_factors = (r(n), r(n)) if common.num_blinding_rows else None
    return CosetColumns(r(widths[0], n), r(widths[1], n), r(widths[2], n), r(n), r(n), blinding_factors)


def random_challenges(rng: np.random.Generator) -> tuple[list[int], Ext, Ext, Ext]:
    e = [Ext(int(a), int(b)) for a, b in rng.integers(0, P, size=(3, 2), dtype=np.uint64)]
    return [int(h) for h in rng.integers(0, P, size=4, dtype=np.uint64)], e[0], e[1], e[2]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_compiled_v_equals_the_readable_v_on_random_columns(merkle_circuit: CircuitData, threads: int) -> None:
    """Random values in every column and challenge (not a satisfying witness): the same field element everywhere."""
    rng = np.random.default_rng(threads)
    common = merkle_circuit.common
    columns, challenges = random_columns(common, rng), random_challenges(rng)
    expected = readable_vanishing_on_coset(common, columns, *challenges)
    got = compiled_vanishing_on_coset(common, columns, *challenges, threads)
    assert np.array_equal(got.c0, expected.c0) and np.array_equal(got.c1, expected.c1)


@pytest.mark.parametrize(("config", "rows"), [(STANDARD_ZK_CONFIG, 40), (STANDARD_CONFIG, 3), (SHRINK_CONFIG, 40)])
def test_compiled_v_with_blinding_and_on_a_coset_smaller_than_a_block(config: ProofConfig, rows: int) -> None:
    """Zero knowledge adds L_{n-h} and Z_B inputs; a tiny circuit's coset is shorter than one block of LANES;
    the shrinking configuration evaluates V on a subcoset of its LDE (Z(g x) a different shift)."""
    common = square_chain(config, rows)[0].common
    rng = np.random.default_rng(7)
    columns, challenges = random_columns(common, rng), random_challenges(rng)
    if rows < 8:
        assert columns.x.shape[0] < LANES
    expected = readable_vanishing_on_coset(common, columns, *challenges)
    got = compiled_vanishing_on_coset(common, columns, *challenges)
    assert np.array_equal(got.c0, expected.c0) and np.array_equal(got.c1, expected.c1)


def test_a_changed_challenge_changes_the_compiled_v(merkle_circuit: CircuitData) -> None:
    """The uniform prologue is evaluated per proof, not frozen at tracing."""
    rng = np.random.default_rng(3)
    common = merkle_circuit.common
    columns = random_columns(common, rng)
    pi_hash, beta, gamma, alpha = random_challenges(rng)
    first = compiled_vanishing_on_coset(common, columns, pi_hash, beta, gamma, alpha)
    second = compiled_vanishing_on_coset(common, columns, pi_hash, beta, gamma, alpha + 1)
    assert not np.array_equal(first.c0, second.c0)


def test_the_tape_is_traced_from_the_gates(merkle_circuit: CircuitData) -> None:
    """Once per circuit (cached), with base-field products for the gates' base-field constraints."""
    tape = quotient_tape(merkle_circuit.common)
    assert quotient_tape(merkle_circuit.common) is tape
    base_products = int(np.sum(tape.ops[:, 0] & ~UNIFORM_B == 4 * MUL))
    assert base_products > len(tape.ops) // 4
    assert tape.num_registers < len(tape.ops)  # registers are reused
    uniform_operands = tape.ops[:, 0] & UNIFORM_B != 0
    assert np.any(uniform_operands)
    assert np.all(tape.ops[uniform_operands, 3] < len(tape.uniform))  # read from the prologue, not a register


def _every_operation(x: Any, y: Any, u: Any, c: Any) -> Any:
    """Each operation on every pair of kinds (point base x, y; point ext from u; uniform ext u; uniform base c),
    uniform operands on either side, combined into one value (generic: traced or on ``Ext``)."""
    ex = x * u + y
    results = []
    for p in (x, ex):
        for q in (y, ex * u, c, u):
            results += [p + q, p - q, p * q, q + p, q - p, q * p]
        results.append(-p)
    acc = results[0]
    for k, r in enumerate(results[1:]):
        acc = acc * u + r * (k + 2)
    return acc


def test_every_operation_kind_of_the_kernel_agrees_with_ext_arithmetic() -> None:
    """Point and uniform operands on both sides of ADD, SUB and MUL, base and extension (a uniform minus a point
    value is a ``REVERSED`` row), against the same code on ``Ext`` at every point."""
    rec = _Recorder()
    beta = rec.uniform_input(0, base=False)
    out = _every_operation(rec.point_input(EXTRA, 0), rec.point_input(EXTRA, 1), beta, rec.constant(5))
    tape = _allocate(rec, out.index)
    assert np.any(tape.ops[:, 0] & REVERSED)
    rng = np.random.default_rng(11)
    n = 2 * LANES + 3
    extra = rng.integers(0, P, size=(2, n), dtype=np.uint64)
    u = Ext(int(rng.integers(0, P, dtype=np.uint64)), int(rng.integers(0, P, dtype=np.uint64)))
    uniform = uniform_values(tape, u, Ext(0), Ext(0), [0, 0, 0, 0])
    empty = np.zeros((0, n), dtype=np.uint64)
    v0, v1 = evaluate_on_coset(tape, uniform, (empty, empty, empty, extra))
    for i in range(n):
        expected = _every_operation(Ext(int(extra[0, i])), Ext(int(extra[1, i])), u, Ext(5))
        assert (int(v0[i]), int(v1[i])) == (expected.a0, expected.a1)


def test_the_tracer_refuses_code_that_branches_on_a_value() -> None:
    value = _Recorder().point_input(0, 0)
    with pytest.raises(TypeError, match="branches"):
        bool(value)
    with pytest.raises(TypeError, match="compares"):
        _ = value == 1


def _counter_urandom() -> Callable[[int], bytes]:
    """A deterministic stand-in for os.urandom, so two ZK proofs of one witness draw the same blinding."""
    state = {"counter": 0}

    def urandom(size: int) -> bytes:
        out = b""
        while len(out) < size:
            state["counter"] += 1
            out += hashlib.sha256(state["counter"].to_bytes(8, "little")).digest()
        return out[:size]

    return urandom


PATHS = [
    (QuotientOptions(reference=True), 1),
    (QuotientOptions(threads=1), 1),
    (QuotientOptions(threads=2), 1),
    (QuotientOptions(), 2),
    (QuotientOptions(), 3),
]
"""(quotient path, proof threads): the readable and compiled quotient, then every stage on 2 and 3 threads."""


def _proof_bytes_on_every_path(circuit: CircuitData, witness: Witness, monkeypatch: pytest.MonkeyPatch) -> set[bytes]:
    """The bytes of the proof of ``witness`` on each of ``PATHS``, with the same randomness (each proof verified)."""
    proofs = set()
    try:
        for options, threads in PATHS:
            set_proof_threads(threads)
            monkeypatch.setattr(blinding.os, "urandom", _counter_urandom())
            proof = circuit.prove_witness(witness, None, options)
            circuit.verify(proof)
            proofs.add(proof_to_bytes(proof))
    finally:
        set_proof_threads(1)
    return proofs


@pytest.mark.parametrize("zero_knowledge", [False, True])
def test_proofs_are_byte_identical_on_every_path(zero_knowledge: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reference or compiled quotient, one thread or several for every stage: the same bytes for the same witness
    and randomness. 2^12 rows, so that every threaded stage (the permutation argument's parts of at least
    ``MIN_ROWS_PER_THREAD`` rows included) is split."""
    if zero_knowledge:
        circuit, s = square_chain(STANDARD_ZK_CONFIG, 3000)
        witness = circuit.generate_witness({s: 12345})
    else:
        work = merkle_workload(12)
        assert work.circuit is not None
        circuit, witness = work.circuit, work.circuit.generate_witness(work.inputs)
    assert circuit.common.degree >= 2 * MIN_ROWS_PER_THREAD
    assert len(_proof_bytes_on_every_path(circuit, witness, monkeypatch)) == 1


def test_shrinking_configuration_proofs_are_byte_identical_on_every_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate 1/128 (the quotient's subcoset gathered from the LDE, FRI folds of arity 16) on 1, 2 and 3 threads;
    the proof of work is cut to 8 bits here (its threads are tested with ``prover.pow``)."""
    circuit, s = square_chain(replace(SHRINK_CONFIG, pow_bits=8), 1000)
    assert len(_proof_bytes_on_every_path(circuit, circuit.generate_witness({s: 777}), monkeypatch)) == 1
