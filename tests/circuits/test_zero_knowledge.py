"""Zero knowledge: an attack that recovers a secret cell from a non-ZK proof, and fails on a ZK proof.

The threat model is the issue's: a circuit with one secret cell in a wire column whose
every other cell the attacker knows (here: given to it, the strongest such attacker).
From the opening w(zeta) = sum_r w_r L_r(zeta) the attacker solves for the unknown
cell. Without zero knowledge that is exact; with it, the blinding rows (unknown to the
attacker) make the recovered value wrong, and two proofs of one witness open differently.

Then the simulator argument of docs/protocol.md made concrete: a ZK proof of one witness
opens exactly as another witness of the same statement would with suitable blinding, and
the blinding counts equal the openings a proof makes, covered with full rank.
"""

from __future__ import annotations

import dataclasses
import struct

import numpy as np
import pytest

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from circuits.witness import Target
from verifier.config import STANDARD_CONFIG, STANDARD_ZK_CONFIG, ProofConfig
from verifier.extension import Ext
from verifier.field import P
from verifier.hashing import hash_elements
from verifier.plonk import VerificationError, plonk_challenges, verify_proof
from verifier.polynomial import lagrange_at
from verifier.proof import NUM_ORACLES, ProofWithPublicInputs, VerifierKey
from verifier.serialization import (
    CONFIG_FIELDS,
    proof_size,
    proof_to_bytes,
    verifier_key_from_bytes,
    verifier_key_to_bytes,
)
from verifier.transcript import Challenger

SECRET = 0x1234_5678_9ABC_DEF0 % P


def square_circuit(config: ProofConfig, min_rows: int = 0) -> tuple[CircuitData, Target]:
    """Public y = s^2 for a secret s (so s and -s are two witnesses of one statement).

    ``min_rows`` pads with rows computed from y alone (known to everyone).
    """
    b = CircuitBuilder(config)
    s = b.add_virtual_target()
    y = b.mul(s, s)
    b.register_public_input(y)
    filler = y
    while len(b.rows) < min_rows:
        filler = b.mul_add(filler, filler, y)
    return b.build(), s


def replay_zeta(vk: VerifierKey, proof: ProofWithPublicInputs) -> Ext:
    """The attacker replays the public transcript to learn the opening point."""
    challenges = plonk_challenges(Challenger(), vk.circuit_digest, hash_elements(proof.public_inputs), proof.proof)
    return challenges[3]  # type: ignore[no-any-return]


def secret_cell(wires: np.ndarray, secret: int) -> tuple[int, int]:
    """(column, row) of the first cell holding the secret."""
    columns, rows = np.nonzero(wires == np.uint64(secret))
    return int(columns[0]), int(rows[0])


def recover_secret(circuit: CircuitData, proof: ProofWithPublicInputs, known: np.ndarray, column: int, row: int) -> Ext:
    """Solve w(zeta) = sum_{r != row} known_r L_r(zeta) + s L_row(zeta) for s."""
    common = circuit.common
    zeta = replay_zeta(circuit.verifier_key, proof)
    partial = Ext(0)
    for r in range(common.degree):
        if r != row:
            partial = partial + lagrange_at(common.degree_bits, r, zeta) * int(known[r])
    opening = proof.proof.openings.wires[column]
    return (opening - partial) / lagrange_at(common.degree_bits, row, zeta)


def attack(config: ProofConfig) -> tuple[Ext, CircuitData, Target]:
    circuit, s = square_circuit(config)
    witness = circuit.generate_witness({s: SECRET})
    column, row = secret_cell(witness.wires, SECRET)
    known = witness.wires[column].copy()
    known[row] = 0  # the one cell the attacker does not know
    proof = circuit.prove_witness(witness)
    circuit.verify(proof)
    return recover_secret(circuit, proof, known, column, row), circuit, s


def test_attacker_recovers_the_secret_from_a_non_zk_proof() -> None:
    recovered, _, _ = attack(STANDARD_CONFIG)
    assert recovered == Ext(SECRET)


def test_the_same_attack_fails_against_a_zk_proof() -> None:
    recovered, _, _ = attack(STANDARD_ZK_CONFIG)
    assert recovered != Ext(SECRET)
    assert recovered != Ext(P - SECRET)


@pytest.fixture(scope="module")
def zk_square() -> tuple[CircuitData, Target]:
    return square_circuit(STANDARD_ZK_CONFIG)


def test_two_zk_proofs_of_one_witness_open_differently(zk_square: tuple[CircuitData, Target]) -> None:
    circuit, s = zk_square
    first, second = (circuit.prove({s: SECRET}) for _ in range(2))
    for proof in (first, second):
        circuit.verify(proof)
    assert first.public_inputs == second.public_inputs
    assert first.proof.wires_cap != second.proof.wires_cap
    a, b = first.proof.openings, second.proof.openings
    assert all(x != y for x, y in zip(a.wires, b.wires, strict=True))
    assert all(x != y for x, y in zip(a.zs_partials, b.zs_partials, strict=True))
    assert all(x != y for x, y in zip(a.quotient, b.quotient, strict=True))


def test_non_zk_proofs_of_one_witness_are_identical() -> None:
    """The contrast: without zero knowledge the prover is deterministic, so nothing varies."""
    circuit, s = square_circuit(STANDARD_CONFIG)
    assert circuit.prove({s: SECRET}) == circuit.prove({s: SECRET})


@pytest.mark.parametrize("config", [STANDARD_CONFIG, STANDARD_ZK_CONFIG], ids=["plain", "zk"])
def test_flipping_the_flag_in_a_key_is_rejected(config: ProofConfig) -> None:
    """The flag is part of the circuit digest, the first thing the transcript absorbs."""
    circuit, s = square_circuit(config, min_rows=70)  # enough rows for both modes' keys to be valid
    proof = circuit.prove({s: SECRET})
    vk = circuit.verifier_key
    flipped_config = dataclasses.replace(config, zero_knowledge=not config.zero_knowledge)
    flipped = dataclasses.replace(vk, common=dataclasses.replace(vk.common, config=flipped_config))
    assert flipped.circuit_digest != vk.circuit_digest
    with pytest.raises(VerificationError):
        verify_proof(flipped, proof.proof, proof.public_inputs)
    # The same flip in the key's bytes: the parsed key is the flipped one.
    data = bytearray(verifier_key_to_bytes(vk))
    offset = 6 + 4 * CONFIG_FIELDS.index("zero_knowledge")
    assert struct.unpack_from("<I", data, offset)[0] == int(config.zero_knowledge)
    struct.pack_into("<I", data, offset, int(not config.zero_knowledge))
    assert verifier_key_from_bytes(bytes(data)) == flipped


def test_a_proof_cannot_switch_mode(zk_square: tuple[CircuitData, Target]) -> None:
    """A ZK proof stripped of its salts and mask, or a plain proof, fails against the other mode's key."""
    zk_circuit, s = zk_square
    plain_circuit, t = square_circuit(STANDARD_CONFIG)
    zk_proof, plain_proof = zk_circuit.prove({s: SECRET}), plain_circuit.prove({t: SECRET})
    with pytest.raises(VerificationError):
        plain_circuit.verify(zk_proof)
    with pytest.raises(VerificationError):
        zk_circuit.verify(plain_proof)
    common = zk_circuit.common
    widths = common.oracle_widths()
    p = zk_proof.proof
    stripped_rounds = tuple(
        dataclasses.replace(
            qr,
            initial=tuple(dataclasses.replace(o, values=o.values[: widths[i]]) for i, o in enumerate(qr.initial)),
        )
        for qr in p.fri.query_rounds
    )
    unmasked = dataclasses.replace(p, fri=dataclasses.replace(p.fri, query_rounds=stripped_rounds))
    for circuit in (zk_circuit, plain_circuit):
        with pytest.raises(VerificationError):
            circuit.verify(dataclasses.replace(zk_proof, proof=unmasked))


def test_proof_size_is_exact_for_zk_proofs(zk_square: tuple[CircuitData, Target]) -> None:
    """Salted rows and the mask columns are counted in the size a reader allows (``proof_size``)."""
    circuit, s = zk_square
    assert proof_size(circuit.common) == len(proof_to_bytes(circuit.prove({s: SECRET})))


def test_every_salt_element_is_bound(zk_square: tuple[CircuitData, Target]) -> None:
    """Changing any salt element of an opened row breaks its Merkle path."""
    circuit, s = zk_square
    proof = circuit.prove({s: SECRET})
    widths = circuit.common.oracle_widths()
    query = proof.proof.fri.query_rounds[0]
    for oracle in range(1, NUM_ORACLES):
        for position in range(widths[oracle], len(query.initial[oracle].values)):
            values = list(query.initial[oracle].values)
            values[position] = (values[position] + 1) % P
            opening = dataclasses.replace(query.initial[oracle], values=tuple(values))
            initial = tuple(opening if i == oracle else o for i, o in enumerate(query.initial))
            rounds = (dataclasses.replace(query, initial=initial), *proof.proof.fri.query_rounds[1:])
            bad = dataclasses.replace(proof.proof, fri=dataclasses.replace(proof.proof.fri, query_rounds=rounds))
            with pytest.raises(VerificationError, match="Merkle"):
                circuit.verify(dataclasses.replace(proof, proof=bad))


# ----------------------------------------------------------------------------- the simulator argument, concretely
# docs/protocol.md ("Zero knowledge"): every value a verifier sees of a wire, Z or partial-product
# column is an evaluation at a point outside H, and the blinding rows make the map from their values
# to those evaluations onto. So any witness with the same public inputs, with suitable blinding, opens
# to exactly the same values: the openings do not depend on the witness.


def solve_mod_p(matrix: list[list[int]], rhs: list[list[int]]) -> list[list[int]]:
    """For each right-hand side b (a list of them), some u with matrix u = b over F_p (Gaussian
    elimination on all of them at once); AssertionError if one has no solution."""
    width = len(matrix[0])
    rows = [[*r, *(b[i] for b in rhs)] for i, r in enumerate(matrix)]
    pivots: list[int] = []
    for col in range(width):
        pivot = next((i for i in range(len(pivots), len(rows)) if rows[i][col]), None)
        if pivot is None:
            continue
        top = len(pivots)
        rows[top], rows[pivot] = rows[pivot], rows[top]
        inv = pow(rows[top][col], P - 2, P)
        rows[top] = [v * inv % P for v in rows[top]]
        for i in range(len(rows)):
            if i != top and rows[i][col]:
                f = rows[i][col]
                rows[i] = [(a - f * b) % P for a, b in zip(rows[i], rows[top], strict=True)]
        pivots.append(col)
    assert all(not any(r[width:]) for r in rows[len(pivots) :]), "the blinding rows cannot reach these openings"
    solutions = []
    for k in range(len(rhs)):
        u = [0] * width
        for i, col in enumerate(pivots):
            u[col] = rows[i][width + k]
        solutions.append(u)
    return solutions


def rank_mod_p(matrix: list[list[int]]) -> int:
    """Rank over F_p: the number of independent rows (a solution exists for every right-hand side iff full)."""
    reduced = [list(r) for r in matrix]
    rank = 0
    for col in range(len(matrix[0])):
        pivot = next((i for i in range(rank, len(reduced)) if reduced[i][col]), None)
        if pivot is None:
            continue
        reduced[rank], reduced[pivot] = reduced[pivot], reduced[rank]
        inv = pow(reduced[rank][col], P - 2, P)
        for i in range(rank + 1, len(reduced)):
            f = reduced[i][col] * inv % P
            reduced[i] = [(a - f * b) % P for a, b in zip(reduced[i], reduced[rank], strict=True)]
        rank += 1
    return rank


@dataclasses.dataclass
class Views:
    """The points a verifier sees every column at, and the functionals they give (base-field rows)."""

    zeta: Ext
    g_zeta: Ext
    query_points: list[int]
    """Distinct LDE points x_q of the query rounds."""
    query_rows: list[int]
    """For each distinct point, the index of one query round opening it."""


def verifier_views(circuit: CircuitData, proof: ProofWithPublicInputs) -> Views:
    from verifier import field
    from verifier.fri import fri_challenges, reverse_bits
    from verifier.proof import COSET_SHIFT

    common = circuit.common
    challenger = Challenger()
    pi_hash = hash_elements(proof.public_inputs)
    zeta = plonk_challenges(challenger, circuit.verifier_key.circuit_digest, pi_hash, proof.proof)[3]
    indices = fri_challenges(challenger, common, proof.proof.fri).query_indices
    omega = field.root_of_unity(common.lde_bits)
    first_round = {q: i for i, q in reversed(list(enumerate(indices)))}
    points = [COSET_SHIFT * pow(omega, reverse_bits(q, common.lde_bits), P) % P for q in first_round]
    return Views(zeta, zeta * field.root_of_unity(common.degree_bits), points, list(first_round.values()))


def evaluation_rows(degree_bits: int, rows: range, ext_points: list[Ext], base_points: list[int]) -> list[list[int]]:
    """The functionals f -> f(y) restricted to the values of f on ``rows``: L_r(y) per row r,
    two base rows (coordinates) per F_p2 point, one per base point."""
    out: list[list[int]] = []
    for y in ext_points:
        values = [lagrange_at(degree_bits, r, y) for r in rows]
        out += [[v.a0 for v in values], [v.a1 for v in values]]
    for x in base_points:
        out.append([lagrange_at(degree_bits, r, x).a0 for r in rows])
    return out


def claimed_values(ext_values: list[Ext], base_values: list[int]) -> list[int]:
    return [c for v in ext_values for c in (v.a0, v.a1)] + list(base_values)


class Evaluations:
    """The functionals of ``evaluation_rows`` over every row of H, computed once for a set of points."""

    def __init__(self, degree_bits: int, ext_points: list[Ext], base_points: list[int]) -> None:
        self.matrix = evaluation_rows(degree_bits, range(1 << degree_bits), ext_points, base_points)

    def of(self, column: list[int]) -> list[int]:
        return [sum(a * b for a, b in zip(row, column, strict=True)) % P for row in self.matrix]

    def reach(self, columns: list[list[int]], free: range, targets: list[list[int]]) -> None:
        """Re-choose each column's (values on H) ``free`` rows so it evaluates to its target; check it does."""
        knowns = [[0 if r in free else v for r, v in enumerate(column)] for column in columns]
        rhs = [
            [(t - k) % P for t, k in zip(target, self.of(known), strict=True)]
            for target, known in zip(targets, knowns, strict=True)
        ]
        solutions = solve_mod_p([[row[r] for r in free] for row in self.matrix], rhs)
        for known, u, target in zip(knowns, solutions, targets, strict=True):
            for r, value in zip(free, u, strict=True):
                known[r] = value
            assert self.of(known) == target


def test_every_wire_and_permutation_opening_is_reachable_from_another_witness(
    zk_square: tuple[CircuitData, Target],
) -> None:
    """A's ZK proof (secret s) opens exactly as witness B (secret -s, same statement) with suitable blinding."""
    from prover.plonk_prover import permutation_columns
    from verifier.proof import WIRES, ZS_PARTIALS

    circuit, s = zk_square
    common = circuit.common
    proof_a = circuit.prove({s: SECRET})
    witness_b = circuit.generate_witness({s: P - SECRET})
    assert tuple(witness_b.get(t) for t in circuit.public_input_targets) == proof_a.public_inputs
    views = verifier_views(circuit, proof_a)
    rounds = [proof_a.proof.fri.query_rounds[i] for i in views.query_rows]
    n, h, bits = common.degree, common.num_blinding_rows, common.degree_bits
    witness_a = circuit.generate_witness({s: SECRET})
    assert (witness_a.wires[:, : n - h] != witness_b.wires[:, : n - h]).any()  # the traces really differ
    at_zeta = Evaluations(bits, [views.zeta], views.query_points)
    wires = range(common.config.num_wires)
    targets = [
        claimed_values([proof_a.proof.openings.wires[c]], [r.initial[WIRES].values[c] for r in rounds]) for c in wires
    ]
    at_zeta.reach([[int(v) for v in witness_b.wires[c]] for c in wires], range(n - h, n), targets)

    # Z and the partial products of B under A's challenges (the same transcript).
    challenges = plonk_challenges(
        Challenger(), circuit.verifier_key.circuit_digest, hash_elements(proof_a.public_inputs), proof_a.proof
    )
    routed = witness_b.wires[: common.num_routed_wires]
    zs_b = permutation_columns(common, routed, circuit.prover_key.sigma_values, challenges[0], challenges[1])
    o = proof_a.proof.openings
    columns = [[int(v) for v in part] for column in zs_b for part in (column.c0, column.c1)]
    rows = [[r.initial[ZS_PARTIALS].values[i] for r in rounds] for i in range(len(columns))]
    # Z: also seen at g zeta, and pinned to 1 on the first blinding row.
    z_targets = [claimed_values([o.zs_partials[i], o.zs_next[i]], rows[i]) for i in range(2)]
    Evaluations(bits, [views.zeta, views.g_zeta], views.query_points).reach(columns[:2], range(n - h + 1, n), z_targets)
    partial_targets = [claimed_values([o.zs_partials[i]], rows[i]) for i in range(2, len(columns))]
    at_zeta.reach(columns[2:], range(n - h, n), partial_targets)


def test_blinding_counts_match_the_openings_a_proof_makes(zk_square: tuple[CircuitData, Target]) -> None:
    """Re-derive, from a ZK proof's own structure, how many base-field values of each polynomial a
    verifier sees; the configuration's counts must equal them, and the blinding must cover them
    with full rank at the proof's actual points (Cauchy matrices of Lagrange values)."""
    from verifier.zero_knowledge import (
        EXT_DEGREE,
        num_blinding_rows,
        opening_counts,
        quotient_blinding_degree,
    )

    circuit, s = zk_square
    common = circuit.common
    config = common.config
    proof = circuit.prove({s: SECRET})
    o = proof.proof.openings
    queries = len(proof.proof.fri.query_rounds)
    assert queries == config.num_queries
    # Every column once at zeta; Z's two columns again at g zeta; one row per query round.
    assert len(o.at_zeta()) == sum(common.oracle_widths())
    assert len(o.zs_next) == 2
    column_views = EXT_DEGREE * 1 + queries
    z_views = EXT_DEGREE * 2 + queries + queries  # + Z(g x_q), which the quotient rows depend on
    counts = opening_counts(config)
    assert (counts.column, counts.z) == (column_views, z_views)
    h = num_blinding_rows(config)
    assert h == common.num_blinding_rows == max(column_views, z_views + 1)
    assert quotient_blinding_degree(config) == common.degree - common.quotient_stride == column_views

    views = verifier_views(circuit, proof)
    n, bits = common.degree, common.degree_bits
    wires = evaluation_rows(bits, range(n - h, n), [views.zeta], views.query_points)
    assert rank_mod_p(wires) == len(wires) <= column_views
    g = views.g_zeta * views.zeta.inverse()
    shifted = [x * g.a0 % P for x in views.query_points]
    z_points = sorted(set(views.query_points) | set(shifted))
    z = evaluation_rows(bits, range(n - h + 1, n), [views.zeta, views.g_zeta], z_points)
    assert rank_mod_p(z) == len(z) <= z_views
    # A quotient chunk's random part H_c (degree < b) seen at zeta and the query points: a Vandermonde map.
    b = quotient_blinding_degree(config)
    m = common.quotient_stride
    zeta_m = views.zeta**m
    rows = [[(zeta_m * views.zeta**i).a0 for i in range(b)], [(zeta_m * views.zeta**i).a1 for i in range(b)]]
    rows += [[pow(x, m + i, P) for i in range(b)] for x in views.query_points]
    assert rank_mod_p(rows) == len(rows) <= column_views
