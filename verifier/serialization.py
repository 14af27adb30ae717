"""Versioned, self-describing binary formats for proofs and verifier keys.

Every file starts with a 4-byte magic naming its kind and a little-endian u16
format version:

    b"ZKPF" proof with public inputs      b"ZKVK" verifier key

then its fields in a fixed order. Integers are little-endian; a field element
is a u64 that must be canonical (< p); an extension element is two field
elements; a list is a u32 count followed by its items. The parser is
length-checked: every count is bounded before anything is allocated, a read
past the end, a non-canonical element, an unknown magic/version/gate or
trailing bytes raise :class:`FormatError` naming the field and the offset.
Shapes are then validated against the circuit by the verifier itself.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import TypeVar

from verifier.config import ProofConfig
from verifier.extension import Ext
from verifier.field import P
from verifier.gates import gate_from_name
from verifier.hashing import Digest
from verifier.merkle import MerkleProof
from verifier.proof import (
    CommonData,
    FriProof,
    FriQueryRound,
    FriStep,
    OpeningSet,
    OracleOpening,
    Proof,
    ProofWithPublicInputs,
    VerifierKey,
)

PROOF_MAGIC = b"ZKPF"
KEY_MAGIC = b"ZKVK"
FORMAT_VERSION = 1
MAX_LIST = 1 << 20
"""No list in a valid proof or key comes near this; it bounds allocations on hostile input."""

CONFIG_FIELDS = (
    "num_wires",
    "num_routed_wires",
    "num_constants",
    "max_constraint_degree",
    "rate_bits",
    "cap_height",
    "num_queries",
    "pow_bits",
    "fri_arity_bits",
    "fri_final_poly_bits",
)

X = TypeVar("X")


class FormatError(ValueError):
    """Malformed proof or key bytes."""


class Writer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def u16(self, v: int) -> None:
        self.parts.append(struct.pack("<H", v))

    def u32(self, v: int) -> None:
        self.parts.append(struct.pack("<I", v))

    def u64(self, v: int) -> None:
        self.parts.append(struct.pack("<Q", v))

    def element(self, v: int) -> None:
        if not 0 <= v < P:
            raise ValueError(f"cannot serialize non-canonical field element {v}")
        self.u64(v)

    def ext(self, v: Ext) -> None:
        self.element(v.a0)
        self.element(v.a1)

    def digest(self, d: Digest) -> None:
        for v in d:
            self.element(v)

    def items(self, values: Sequence[X], write: Callable[[X], None]) -> None:
        self.u32(len(values))
        for v in values:
            write(v)

    def text(self, s: str) -> None:
        data = s.encode("ascii")
        self.u16(len(data))
        self.parts.append(data)

    def bytes(self) -> bytes:
        return b"".join(self.parts)


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise FormatError(
                f"truncated input: {what} needs {n} bytes at offset {self.pos}, input has {len(self.data)}"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u16(self, what: str) -> int:
        return int(struct.unpack("<H", self._take(2, what))[0])

    def u32(self, what: str) -> int:
        return int(struct.unpack("<I", self._take(4, what))[0])

    def u64(self, what: str) -> int:
        return int(struct.unpack("<Q", self._take(8, what))[0])

    def element(self, what: str) -> int:
        at = self.pos
        v = self.u64(what)
        if v >= P:
            raise FormatError(f"{what} at offset {at} is not a canonical field element ({v:#x} >= p)")
        return v

    def ext(self, what: str) -> Ext:
        return Ext(self.element(what), self.element(what))

    def digest(self, what: str) -> Digest:
        a, b, c, d = (self.element(what) for _ in range(4))
        return (a, b, c, d)

    def items(self, what: str, read: Callable[[str], X]) -> tuple[X, ...]:
        at = self.pos
        n = self.u32(f"length of {what}")
        if n > MAX_LIST or n > len(self.data) - self.pos:
            raise FormatError(f"{what} at offset {at} claims {n} items, more than the input can hold")
        return tuple(read(what) for _ in range(n))

    def text(self, what: str) -> str:
        n = self.u16(f"length of {what}")
        raw = self._take(n, what)
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{what} is not ASCII") from exc

    def header(self, magic: bytes, kind: str) -> None:
        got = self._take(4, "magic")
        if got != magic:
            raise FormatError(f"not a {kind} file (magic {got!r}, expected {magic!r})")
        version = self.u16("format version")
        if version != FORMAT_VERSION:
            raise FormatError(f"unsupported {kind} format version {version} (this verifier reads {FORMAT_VERSION})")

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise FormatError(f"{len(self.data) - self.pos} trailing bytes after offset {self.pos}")


# ------------------------------------------------------------------ proofs
def _write_merkle_proof(w: Writer, p: MerkleProof) -> None:
    w.items(p.siblings, w.digest)


def _read_merkle_proof(r: Reader, what: str) -> MerkleProof:
    return MerkleProof(r.items(f"{what} Merkle path", r.digest))


def proof_to_bytes(p: ProofWithPublicInputs) -> bytes:
    w = Writer()
    w.parts.append(PROOF_MAGIC)
    w.u16(FORMAT_VERSION)
    w.items(p.public_inputs, w.element)
    proof = p.proof
    for cap in (proof.wires_cap, proof.zs_partials_cap, proof.quotient_cap):
        w.items(cap, w.digest)
    o = proof.openings
    for group in (o.constants_sigmas, o.wires, o.zs_partials, o.quotient, o.zs_next):
        w.items(group, w.ext)
    fri = proof.fri
    w.items(fri.layer_caps, lambda cap: w.items(cap, w.digest))
    w.u32(len(fri.query_rounds))
    for qr in fri.query_rounds:
        w.u32(len(qr.initial))
        for opening in qr.initial:
            w.items(opening.values, w.element)
            _write_merkle_proof(w, opening.proof)
        w.u32(len(qr.steps))
        for step in qr.steps:
            w.items(step.evals, w.ext)
            _write_merkle_proof(w, step.proof)
    w.items(fri.final_poly, w.ext)
    w.u64(fri.pow_witness)
    return w.bytes()


def proof_from_bytes(data: bytes) -> ProofWithPublicInputs:
    """Parse untrusted proof bytes (shape checks against a circuit happen in the verifier)."""
    r = Reader(data)
    r.header(PROOF_MAGIC, "proof")
    public_inputs = r.items("public inputs", r.element)
    wires_cap, zs_cap, quotient_cap = (r.items(f"{name} cap", r.digest) for name in ("wires", "Z", "quotient"))
    groups = [r.items(f"{name} openings", r.ext) for name in ("constants", "wires", "Z", "quotient", "Z next")]
    layer_caps = r.items("FRI layer caps", lambda what: r.items(what, r.digest))

    def read_round(what: str) -> FriQueryRound:
        def read_opening(what: str) -> OracleOpening:
            return OracleOpening(r.items("oracle row", r.element), _read_merkle_proof(r, "oracle"))

        def read_step(what: str) -> FriStep:
            return FriStep(r.items("FRI coset", r.ext), _read_merkle_proof(r, "FRI layer"))

        return FriQueryRound(r.items("oracle openings", read_opening), r.items("FRI steps", read_step))

    rounds = r.items("FRI query rounds", read_round)
    final_poly = r.items("final polynomial", r.ext)
    pow_witness = r.u64("proof-of-work witness")
    r.finish()
    openings = OpeningSet(*groups)
    fri = FriProof(layer_caps, rounds, final_poly, pow_witness)
    return ProofWithPublicInputs(Proof(wires_cap, zs_cap, quotient_cap, openings, fri), public_inputs)


# ------------------------------------------------------------- verifier keys
def verifier_key_to_bytes(vk: VerifierKey) -> bytes:
    w = Writer()
    w.parts.append(KEY_MAGIC)
    w.u16(FORMAT_VERSION)
    cfg = vk.common.config
    for name in CONFIG_FIELDS:
        w.u32(getattr(cfg, name))
    w.u32(vk.common.degree_bits)
    w.u32(vk.common.num_public_inputs)
    w.items([g.name for g in vk.common.gates], w.text)
    w.items(vk.constants_sigmas_cap, w.digest)
    return w.bytes()


def verifier_key_from_bytes(data: bytes) -> VerifierKey:
    r = Reader(data)
    r.header(KEY_MAGIC, "verifier key")
    values = {name: r.u32(f"config.{name}") for name in CONFIG_FIELDS}
    try:
        cfg = ProofConfig(**values)
    except ValueError as exc:
        raise FormatError(f"invalid configuration in verifier key: {exc}") from exc
    degree_bits = r.u32("degree_bits")
    if not 0 < degree_bits <= 24:
        raise FormatError(f"degree_bits {degree_bits} out of range")
    num_public_inputs = r.u32("number of public inputs")
    names = r.items("gate names", r.text)
    try:
        gates = tuple(gate_from_name(n) for n in names)
    except ValueError as exc:
        raise FormatError(str(exc)) from exc
    cap = r.items("constants/sigmas cap", r.digest)
    r.finish()
    if len(cap) != 1 << cfg.cap_height:
        raise FormatError(f"cap has {len(cap)} digests, config says {1 << cfg.cap_height}")
    return VerifierKey(cap, CommonData(cfg, degree_bits, gates, num_public_inputs))
