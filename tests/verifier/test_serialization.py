"""Proof and verifier-key files: exact round trips, and a parser that rejects every malformed input cleanly.

Untrusted bytes may only ever end in one of two ways besides acceptance of a
genuine proof: ``FormatError`` (the file is malformed) or ``VerificationError``
(it parses but does not verify). Any other exception is a bug.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import struct
from collections.abc import Iterator

import pytest

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from verifier.field import P
from verifier.plonk import VerificationError, verify_proof
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey
from verifier.serialization import (
    CONFIG_FIELDS,
    FORMAT_VERSION,
    KEY_MAGIC,
    PROOF_MAGIC,
    FormatError,
    proof_from_bytes,
    proof_layout,
    proof_to_bytes,
    verifier_key_from_bytes,
    verifier_key_to_bytes,
)

Spans = list[tuple[str, int, int]]


def chain_circuit(length: int) -> tuple[CircuitData, int]:
    """x_{i+1} = x_i^2 + i, public (x_0, x_length, first limb of hash(x_0, x_length)): four gate types."""
    b = CircuitBuilder()
    x0 = b.add_virtual_target()
    x = x0
    for i in range(length):
        x = b.add_const(b.mul(x, x), i)
    digest = b.hash_elements([x0, x])
    b.register_public_inputs([x0, x, digest[0]])
    return b.build(), x0


@pytest.fixture(scope="module")
def proven() -> tuple[CircuitData, ProofWithPublicInputs, bytes]:
    circuit, x0 = chain_circuit(50)
    proof = circuit.prove({x0: 3})
    return circuit, proof, proof_to_bytes(proof)


@pytest.fixture(scope="module")
def layout(proven: tuple[CircuitData, ProofWithPublicInputs, bytes]) -> Spans:
    return proof_layout(proven[2])


def accepts(vk: VerifierKey, data: bytes) -> bool:
    """Parse and verify untrusted bytes: True if accepted, False on FormatError / VerificationError.

    Any other exception propagates (and fails the test).
    """
    try:
        p = proof_from_bytes(data)
        verify_proof(vk, p.proof, p.public_inputs)
    except (FormatError, VerificationError):
        return False
    return True


def spans_by_field(spans: Spans) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for what, start, end in spans:
        out.setdefault(what, []).append((start, end))
    return out


def patched(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new) :]


# ------------------------------------------------------------------ round trips
def test_proof_round_trip_is_exact_and_still_verifies(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes],
) -> None:
    circuit, proof, data = proven
    parsed = proof_from_bytes(data)
    assert parsed == proof
    assert proof_to_bytes(parsed) == data
    circuit.verify(parsed)
    assert data[:4] == PROOF_MAGIC
    assert struct.unpack("<H", data[4:6])[0] == FORMAT_VERSION


def test_verifier_key_round_trip_is_exact_and_verifies(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes],
) -> None:
    circuit, _, data = proven
    key_bytes = verifier_key_to_bytes(circuit.verifier_key)
    vk = verifier_key_from_bytes(key_bytes)
    assert vk == circuit.verifier_key
    assert vk.circuit_digest == circuit.verifier_key.circuit_digest
    assert verifier_key_to_bytes(vk) == key_bytes
    assert key_bytes[:4] == KEY_MAGIC
    assert accepts(vk, data)


def test_layout_covers_every_byte(proven: tuple[CircuitData, ProofWithPublicInputs, bytes], layout: Spans) -> None:
    _, _, data = proven
    assert layout[0][1] == 0 and layout[-1][2] == len(data)
    assert all(a[2] == b[1] for a, b in itertools.pairwise(layout))
    fields = spans_by_field(layout)
    assert {"public inputs", "FRI coset", "oracle Merkle path", "proof-of-work witness"} <= set(fields)


def test_key_with_every_gate_type_round_trips() -> None:
    """The aggregation circuits' universal gate list covers every gate kind (and a non-standard config)."""
    from circuits.recursion.aggregation import AGGREGATION_CONFIG, universal_gates

    cfg = AGGREGATION_CONFIG
    cap = tuple((i, 2 * i, 3 * i, P - 1 - i) for i in range(1 << cfg.cap_height))
    vk = VerifierKey(cap, CommonData(cfg, 13, universal_gates(cfg), 12))
    data = verifier_key_to_bytes(vk)
    parsed = verifier_key_from_bytes(data)
    assert parsed == vk and parsed.circuit_digest == vk.circuit_digest
    assert verifier_key_to_bytes(parsed) == data


def test_key_for_one_circuit_rejects_another_circuits_proof(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes],
) -> None:
    _, _, data = proven
    other, _ = chain_circuit(51)
    other_vk = verifier_key_from_bytes(verifier_key_to_bytes(other.verifier_key))
    p = proof_from_bytes(data)
    with pytest.raises(VerificationError):
        verify_proof(other_vk, p.proof, p.public_inputs)


# ------------------------------------------------------------- malformed proofs
def cut_points(data: bytes, layout: Spans, rng: random.Random) -> Iterator[int]:
    """Every offset in the header, every field boundary (and one byte either side) of a sample of fields."""
    yield from range(0, 16)
    for _, group in sorted(spans_by_field(layout).items()):
        for start, end in (group[0], group[-1]):
            yield from (start, start + 1, end - 1)
    yield from rng.sample(range(len(data)), 20)
    yield len(data) - 1


def test_truncated_proofs_are_rejected(proven: tuple[CircuitData, ProofWithPublicInputs, bytes], layout: Spans) -> None:
    _, _, data = proven
    for cut in sorted(set(cut_points(data, layout, random.Random(1)))):
        with pytest.raises(FormatError, match="truncated"):
            proof_from_bytes(data[:cut])


def test_garbage_is_rejected() -> None:
    rng = random.Random(2)
    for size in (0, 1, 5, 6, 100, 5000):
        with pytest.raises(FormatError):
            proof_from_bytes(rng.randbytes(size))
        # Past the header, garbage must still be rejected field by field.
        with pytest.raises(FormatError):
            proof_from_bytes(PROOF_MAGIC + struct.pack("<H", FORMAT_VERSION) + rng.randbytes(size))
        with pytest.raises(FormatError):
            verifier_key_from_bytes(KEY_MAGIC + struct.pack("<H", FORMAT_VERSION) + rng.randbytes(size))


def test_wrong_magic_and_version_are_rejected(proven: tuple[CircuitData, ProofWithPublicInputs, bytes]) -> None:
    circuit, _, data = proven
    with pytest.raises(FormatError, match="magic"):
        proof_from_bytes(b"ZKPX" + data[4:])
    with pytest.raises(FormatError, match="not a proof"):
        proof_from_bytes(verifier_key_to_bytes(circuit.verifier_key))
    with pytest.raises(FormatError, match="not a verifier key"):
        verifier_key_from_bytes(data)
    for version in (0, FORMAT_VERSION + 1, 0xFFFF):
        with pytest.raises(FormatError, match="version"):
            proof_from_bytes(patched(data, 4, struct.pack("<H", version)))


@pytest.mark.parametrize(
    "field", ["public inputs", "wires cap", "constants openings", "oracle row", "FRI coset", "proof-of-work witness"]
)
@pytest.mark.parametrize("value", [P, P + 1, 2**64 - 1])
def test_non_canonical_element_is_rejected(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes], layout: Spans, field: str, value: int
) -> None:
    _, _, data = proven
    spans = spans_by_field(layout)[field]
    start, _ = spans[len(spans) // 2]
    with pytest.raises(FormatError, match="canonical"):
        proof_from_bytes(patched(data, start, struct.pack("<Q", value)))


def test_huge_list_lengths_are_rejected(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes], layout: Spans
) -> None:
    _, _, data = proven
    length_fields = {w: s for w, s in spans_by_field(layout).items() if w.startswith("length of")}
    assert len(length_fields) >= 15
    for what, spans in length_fields.items():
        start, _ = spans[-1]
        for claimed in (2**32 - 1, 2**20 + 1, len(data)):
            with pytest.raises(FormatError, match=r"claims|truncated"):
                proof_from_bytes(patched(data, start, struct.pack("<I", claimed)))
        assert what


def test_trailing_bytes_are_rejected(proven: tuple[CircuitData, ProofWithPublicInputs, bytes]) -> None:
    circuit, _, data = proven
    for extra in (b"\0", b"\1" * 8):
        with pytest.raises(FormatError, match="trailing"):
            proof_from_bytes(data + extra)
        with pytest.raises(FormatError, match="trailing"):
            verifier_key_from_bytes(verifier_key_to_bytes(circuit.verifier_key) + extra)


def flip_positions(layout: Spans, rng: random.Random, per_field: int, extra: int) -> list[int]:
    """Byte offsets spread over the file: ``per_field`` in every field kind (first, middle, last...) + random."""
    positions: set[int] = set()
    for group in spans_by_field(layout).values():
        picks = {group[round(i * (len(group) - 1) / max(per_field - 1, 1))] for i in range(per_field)}
        positions |= {rng.randrange(start, end) for start, end in picks}
    positions |= set(rng.sample(range(layout[-1][2]), extra))
    return sorted(positions)


def assert_flips_rejected(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes], positions: list[int], rng: random.Random
) -> None:
    circuit, _, data = proven
    vk = circuit.verifier_key
    for at in positions:
        flipped = patched(data, at, bytes([data[at] ^ rng.randrange(1, 256)]))
        assert not accepts(vk, flipped), f"flipping byte {at} still verifies"


def test_flipping_any_byte_is_rejected(proven: tuple[CircuitData, ProofWithPublicInputs, bytes], layout: Spans) -> None:
    """Every field kind of the file (and random bytes): FormatError or VerificationError, nothing else."""
    rng = random.Random(3)
    assert_flips_rejected(proven, flip_positions(layout, rng, per_field=1, extra=16), rng)


@pytest.mark.slow
def test_flipping_any_byte_is_rejected_many_positions(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes], layout: Spans
) -> None:
    rng = random.Random(4)
    assert_flips_rejected(proven, flip_positions(layout, rng, per_field=5, extra=400), rng)


# --------------------------------------------------------------- malformed keys
def key_fields(key_bytes: bytes) -> dict[str, int]:
    """Offsets of the key's u32 header fields (config, degree_bits, public inputs, gate count)."""
    names = [
        *CONFIG_FIELDS,
        "degree_bits",
        "num_public_inputs",
        "num_gates",
    ]
    return {name: 6 + 4 * i for i, name in enumerate(names)}


def test_truncated_keys_are_rejected(proven: tuple[CircuitData, ProofWithPublicInputs, bytes]) -> None:
    circuit, _, _ = proven
    key_bytes = verifier_key_to_bytes(circuit.verifier_key)
    for cut in range(len(key_bytes)):
        with pytest.raises(FormatError, match="truncated"):
            verifier_key_from_bytes(key_bytes[:cut])


def test_unknown_gate_name_in_key_is_rejected(proven: tuple[CircuitData, ProofWithPublicInputs, bytes]) -> None:
    circuit, _, _ = proven
    key_bytes = verifier_key_to_bytes(circuit.verifier_key)
    for name, replacement in [
        (b"Poseidon2", b"Poseidon3"),
        (b"Arithmetic(20)", b"Arithmetic(2x)"),
        (b"Arithmetic(20)", b"Arithmetic(02)"),
        (b"Constant(2)", b"Constant(-)"),
        (b"PublicInput", b"PublicInpu\xff"),
    ]:
        at = key_bytes.index(name)
        with pytest.raises(FormatError, match=r"gate|ASCII"):
            verifier_key_from_bytes(patched(key_bytes, at, replacement))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cap_height", 2**32 - 1),
        ("cap_height", 30),
        ("num_queries", 2**31),
        ("num_queries", 0),
        ("pow_bits", 65),
        ("rate_bits", 0),
        ("rate_bits", 40),
        ("max_constraint_degree", 1),
        ("max_constraint_degree", 9),
        ("num_wires", 2**32 - 1),
        ("num_wires", 20),
        ("num_constants", 1),
        ("num_routed_wires", 200),
        ("fri_arity_bits", 0),
        ("degree_bits", 0),
        ("degree_bits", 31),
        ("num_gates", 2**32 - 1),
    ],
)
def test_inconsistent_keys_are_rejected(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes], field: str, value: int
) -> None:
    circuit, _, _ = proven
    key_bytes = verifier_key_to_bytes(circuit.verifier_key)
    with pytest.raises(FormatError):
        verifier_key_from_bytes(patched(key_bytes, key_fields(key_bytes)[field], struct.pack("<I", value)))


def test_key_with_gate_that_does_not_fit_is_rejected(proven: tuple[CircuitData, ProofWithPublicInputs, bytes]) -> None:
    circuit, _, _ = proven
    key_bytes = verifier_key_to_bytes(circuit.verifier_key)
    for name, replacement in [
        (b"Arithmetic(20)", b"Arithmetic(99)"),  # 396 wires
        (b"Arithmetic(20)", b"Arithmetic(00)"),  # not the canonical name of anything
        (b"Constant(2)", b"Constant(9)"),  # 9 constants
        (b"Constant(2)", b"Constant(0)"),  # no constraints
        (b"Poseidon2", b"BaseSum(0)"),  # malformed parameters
    ]:
        at = key_bytes.index(name)
        with pytest.raises(FormatError):
            verifier_key_from_bytes(patched(key_bytes, at, replacement))


def test_duplicate_gate_in_key_is_rejected(proven: tuple[CircuitData, ProofWithPublicInputs, bytes]) -> None:
    vk = proven[0].verifier_key
    gates = vk.common.gates
    doubled = dataclasses.replace(vk, common=dataclasses.replace(vk.common, gates=(*gates, gates[0])))
    with pytest.raises(FormatError, match="twice"):
        verifier_key_from_bytes(verifier_key_to_bytes(doubled))


def test_flipping_any_key_byte_is_rejected_or_harmless(
    proven: tuple[CircuitData, ProofWithPublicInputs, bytes],
) -> None:
    """Every header and gate-name byte and a sample of cap bytes: FormatError, or a key the proof fails under."""
    circuit, _, data = proven
    key_bytes = verifier_key_to_bytes(circuit.verifier_key)
    cap_start = len(key_bytes) - 4 - 32 * len(circuit.verifier_key.constants_sigmas_cap)
    rng = random.Random(5)
    for at in [*range(cap_start + 4), *rng.sample(range(cap_start + 4, len(key_bytes)), 16)]:
        flipped = patched(key_bytes, at, bytes([key_bytes[at] ^ rng.randrange(1, 256)]))
        try:
            vk = verifier_key_from_bytes(flipped)
        except FormatError:
            continue
        assert not accepts(vk, data), f"flipping key byte {at} still verifies"
