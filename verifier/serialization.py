"""Versioned, self-describing binary formats for proofs and verifier keys.

Every file starts with a 4-byte magic naming its kind and a little-endian u16
format version (:data:`FORMAT_VERSION` for proofs, :data:`KEY_FORMAT_VERSION` for keys):

    b"ZKPF" proof with public inputs      b"ZKVK" verifier key

then its fields in a fixed order. Integers are little-endian; a field element
is a u64 that must be canonical (< p); an extension element is two field
elements; a list is a u32 count followed by its items. The parser is
length-checked: every count is bounded before anything is allocated, a read
past the end, a non-canonical element, an unknown magic/version/gate or
trailing bytes raise :class:`FormatError` naming the field and the offset.
Shapes are then validated against the circuit by the verifier itself.

Proof layout (every element canonical, the proof-of-work witness included):

    magic "ZKPF" | u16 version | list public inputs (u64)
    list wires cap | list Z cap | list quotient cap          (digest = 4 x u64)
    list openings at zeta: constants/sigmas, wires, Z, quotient; list Z at g*zeta   (ext = 2 x u64)
    list FRI layer caps (each a list of digests)
    list query rounds: list oracle openings (list row values, list Merkle siblings),
                       list FRI steps (list coset values (ext), list Merkle siblings)
    list final polynomial (ext) | u64 proof-of-work witness

With zero knowledge each oracle row of the salted oracles ends with its leaf's
salt (the row list is longer; the layout is the same).

Key layout: magic "ZKVK" | u16 version | the 11 ``ProofConfig`` fields (the
zero-knowledge flag last, 0 or 1) and degree_bits, number of public inputs (u32 each) | list gate names (u16 length +
ASCII) | list constants/sigmas cap. A key is checked for internal consistency
(every parameter within :data:`KEY_LIMITS`, gates known, distinct and fitting
the configuration, cap size 2^cap_height), so a verifier never meets a key
that makes it allocate or loop without bound.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from verifier.config import ProofConfig
from verifier.extension import Ext
from verifier.field import TWO_ADICITY, P
from verifier.gates import Gate, GateVars, gate_from_name
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
KEY_FORMAT_VERSION = 2
"""Version 2 added the zero-knowledge flag to the key."""
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
    "zero_knowledge",
)

KEY_LIMITS: dict[str, tuple[int, int]] = {
    "num_wires": (1, 1 << 12),
    "num_routed_wires": (1, 1 << 12),
    "num_constants": (0, 64),
    "max_constraint_degree": (2, 1 << 8),
    "rate_bits": (1, 8),
    "cap_height": (0, TWO_ADICITY),
    "num_queries": (1, 1 << 10),
    "pow_bits": (0, 64),
    "fri_arity_bits": (1, 8),
    "fri_final_poly_bits": (0, TWO_ADICITY),
    "zero_knowledge": (0, 1),
    "degree_bits": (1, TWO_ADICITY),
}
"""Inclusive bounds on a verifier key's parameters (far beyond any real circuit, small enough to be safe)."""

GATE_NAME = re.compile(r"[A-Za-z0-9]{1,32}(\([0-9]{1,4}(,[0-9]{1,4})*\))?")
"""What a gate name may look like before it is looked up (bounds the gate parameters)."""

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

    def elements(self, values: Sequence[int]) -> None:
        """Field elements, 8 bytes each (no count)."""
        if not all(0 <= v < P for v in values):
            raise ValueError("cannot serialize a non-canonical field element")
        self.parts.append(struct.pack(f"<{len(values)}Q", *values))

    def element_list(self, values: Sequence[int]) -> None:
        self.u32(len(values))
        self.elements(values)

    def ext_list(self, values: Sequence[Ext]) -> None:
        self.u32(len(values))
        self.elements([c for v in values for c in (v.a0, v.a1)])

    def digest_list(self, digests: Sequence[Digest]) -> None:
        self.u32(len(digests))
        self.elements([c for d in digests for c in d])

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
    """A cursor over untrusted bytes; with ``trace`` a list, records (field, start, end) of every read."""

    def __init__(self, data: bytes, trace: list[tuple[str, int, int]] | None = None) -> None:
        self.data = bytes(data)
        self.pos = 0
        self.trace = trace

    def _take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise FormatError(
                f"truncated input: {what} needs {n} bytes at offset {self.pos}, input has {len(self.data)}"
            )
        chunk = self.data[self.pos : self.pos + n]
        if self.trace is not None:
            self.trace.append((what, self.pos, self.pos + n))
        self.pos += n
        return chunk

    def u16(self, what: str) -> int:
        return int(struct.unpack("<H", self._take(2, what))[0])

    def u32(self, what: str) -> int:
        return int(struct.unpack("<I", self._take(4, what))[0])

    def count(self, what: str, item_bytes: int = 1) -> int:
        """A list length, bounded by MAX_LIST and by what the rest of the input can hold."""
        at = self.pos
        n = self.u32(f"length of {what}")
        if n > MAX_LIST:
            raise FormatError(f"{what} at offset {at} claims {n} items, more than the limit {MAX_LIST}")
        remaining = len(self.data) - self.pos
        if n * item_bytes > remaining:
            raise FormatError(f"truncated input: {what} at offset {at} claims {n} items, {remaining} bytes remain")
        return n

    def elements(self, what: str, n: int) -> tuple[int, ...]:
        """n canonical field elements (8 bytes each)."""
        at = self.pos
        values: tuple[int, ...] = struct.unpack(f"<{n}Q", self._take(8 * n, what))
        if n and max(values) >= P:
            i = next(i for i, v in enumerate(values) if v >= P)
            raise FormatError(f"{what} at offset {at + 8 * i} is not a canonical field element ({values[i]:#x} >= p)")
        return values

    def element(self, what: str) -> int:
        return self.elements(what, 1)[0]

    def element_list(self, what: str) -> tuple[int, ...]:
        return self.elements(what, self.count(what, 8))

    def ext_list(self, what: str) -> tuple[Ext, ...]:
        it = iter(self.elements(what, 2 * self.count(what, 16)))
        return tuple(Ext(a0, a1) for a0, a1 in zip(it, it, strict=True))

    def digest_list(self, what: str) -> tuple[Digest, ...]:
        it = iter(self.elements(what, 4 * self.count(what, 32)))
        return tuple(zip(it, it, it, it, strict=True))

    def items(self, what: str, read: Callable[[str], X], min_item_bytes: int = 4) -> tuple[X, ...]:
        return tuple(read(what) for _ in range(self.count(what, min_item_bytes)))

    def text(self, what: str) -> str:
        n = self.u16(f"length of {what}")
        raw = self._take(n, what)
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{what} is not ASCII") from exc

    def header(self, magic: bytes, kind: str, expected_version: int) -> None:
        got = self._take(4, "magic")
        if got != magic:
            raise FormatError(f"not a {kind} file (magic {got!r}, expected {magic!r})")
        version = self.u16("format version")
        if version != expected_version:
            raise FormatError(f"unsupported {kind} format version {version} (this verifier reads {expected_version})")

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise FormatError(f"{len(self.data) - self.pos} trailing bytes after offset {self.pos}")


# ------------------------------------------------------------------ proofs
def proof_to_bytes(p: ProofWithPublicInputs) -> bytes:
    w = Writer()
    w.parts.append(PROOF_MAGIC)
    w.u16(FORMAT_VERSION)
    w.element_list(p.public_inputs)
    proof = p.proof
    for cap in (proof.wires_cap, proof.zs_partials_cap, proof.quotient_cap):
        w.digest_list(cap)
    o = proof.openings
    for group in (o.constants_sigmas, o.wires, o.zs_partials, o.quotient, o.zs_next):
        w.ext_list(group)
    fri = proof.fri
    w.items(fri.layer_caps, w.digest_list)
    w.u32(len(fri.query_rounds))
    for qr in fri.query_rounds:
        w.u32(len(qr.initial))
        for opening in qr.initial:
            w.element_list(opening.values)
            w.digest_list(opening.proof.siblings)
        w.u32(len(qr.steps))
        for step in qr.steps:
            w.ext_list(step.evals)
            w.digest_list(step.proof.siblings)
    w.ext_list(fri.final_poly)
    w.elements([fri.pow_witness])
    return w.bytes()


def proof_from_bytes(data: bytes) -> ProofWithPublicInputs:
    """Parse untrusted proof bytes (shape checks against a circuit happen in the verifier)."""
    return _read_proof(Reader(data))


def proof_layout(data: bytes) -> list[tuple[str, int, int]]:
    """(field name, start, end) of every primitive field of a proof file, in file order (tools, tests)."""
    trace: list[tuple[str, int, int]] = []
    _read_proof(Reader(data, trace))
    return trace


def _read_proof(r: Reader) -> ProofWithPublicInputs:
    r.header(PROOF_MAGIC, "proof", FORMAT_VERSION)
    public_inputs = r.element_list("public inputs")
    wires_cap, zs_cap, quotient_cap = (r.digest_list(f"{name} cap") for name in ("wires", "Z", "quotient"))
    groups = [r.ext_list(f"{name} openings") for name in ("constants", "wires", "Z", "quotient", "Z next")]
    layer_caps = r.items("FRI layer caps", r.digest_list)

    def read_opening(what: str) -> OracleOpening:
        return OracleOpening(r.element_list("oracle row"), MerkleProof(r.digest_list("oracle Merkle path")))

    def read_step(what: str) -> FriStep:
        return FriStep(r.ext_list("FRI coset"), MerkleProof(r.digest_list("FRI layer Merkle path")))

    def read_round(what: str) -> FriQueryRound:
        return FriQueryRound(r.items("oracle openings", read_opening), r.items("FRI steps", read_step))

    rounds = r.items("FRI query rounds", read_round)
    final_poly = r.ext_list("final polynomial")
    pow_witness = r.element("proof-of-work witness")
    r.finish()
    openings = OpeningSet(*groups)
    fri = FriProof(layer_caps, rounds, final_poly, pow_witness)
    return ProofWithPublicInputs(Proof(wires_cap, zs_cap, quotient_cap, openings, fri), public_inputs)


def proof_size(common: CommonData) -> int:
    """The exact byte length of a proof for a circuit with ``common`` data (the layout above, every
    length the one :func:`verifier.plonk.validate_shape` requires): a reader can refuse a longer file
    before reading it."""
    cfg = common.config
    cap = 4 + 32 * (1 << cfg.cap_height)
    widths = common.oracle_widths()
    openings = sum(4 + 16 * w for w in widths) + 4 + 16 * 2
    initial = sum(4 + 8 * w + 4 + 32 * (common.lde_bits - cfg.cap_height) for w in common.leaf_widths())
    steps, layer_bits = 0, common.lde_bits
    for arity_bits in common.fri_arities:
        layer_bits -= arity_bits
        steps += 4 + 16 * (1 << arity_bits) + 4 + 32 * (layer_bits - cfg.cap_height)
    rounds = 4 + cfg.num_queries * (4 + initial + 4 + steps)
    layer_caps = 4 + len(common.fri_arities) * cap
    public_inputs = 4 + 8 * common.num_public_inputs
    return 6 + public_inputs + 3 * cap + openings + layer_caps + rounds + 4 + 16 * common.final_poly_len + 8


# ------------------------------------------------------------- verifier keys
def verifier_key_to_bytes(vk: VerifierKey) -> bytes:
    w = Writer()
    w.parts.append(KEY_MAGIC)
    w.u16(KEY_FORMAT_VERSION)
    cfg = vk.common.config
    for name in CONFIG_FIELDS:
        w.u32(int(getattr(cfg, name)))
    w.u32(vk.common.degree_bits)
    w.u32(vk.common.num_public_inputs)
    w.items([g.name for g in vk.common.gates], w.text)
    w.digest_list(vk.constants_sigmas_cap)
    return w.bytes()


def verifier_key_from_bytes(data: bytes) -> VerifierKey:
    """Parse and sanity-check untrusted verifier-key bytes (see the module docstring)."""
    r = Reader(data)
    r.header(KEY_MAGIC, "verifier key", KEY_FORMAT_VERSION)
    values: dict[str, Any] = {name: r.u32(f"config.{name}") for name in CONFIG_FIELDS}
    degree_bits = r.u32("degree_bits")
    for name, value in (*values.items(), ("degree_bits", degree_bits)):
        low, high = KEY_LIMITS[name]
        if not low <= value <= high:
            raise FormatError(f"verifier key: {name} = {value} is outside [{low}, {high}]")
    try:
        cfg = ProofConfig(**{**values, "zero_knowledge": bool(values["zero_knowledge"])})
    except ValueError as exc:
        raise FormatError(f"invalid configuration in verifier key: {exc}") from exc
    if degree_bits + cfg.rate_bits > TWO_ADICITY:
        raise FormatError(f"degree_bits {degree_bits} + rate_bits {cfg.rate_bits} exceed the two-adicity {TWO_ADICITY}")
    if cfg.cap_height > degree_bits + cfg.rate_bits:
        raise FormatError(f"cap height {cfg.cap_height} exceeds the LDE tree height {degree_bits + cfg.rate_bits}")
    num_public_inputs = r.u32("number of public inputs")
    names = r.items("gate names", r.text, min_item_bytes=2)
    gates = tuple(_gate_for_key(name, cfg) for name in names)
    if len(set(names)) != len(names):
        raise FormatError("verifier key lists a gate twice")
    cap = r.digest_list("constants/sigmas cap")
    r.finish()
    if len(cap) != 1 << cfg.cap_height:
        raise FormatError(f"cap has {len(cap)} digests, config says {1 << cfg.cap_height}")
    try:
        common = CommonData(cfg, degree_bits, gates, num_public_inputs)
    except ValueError as exc:
        raise FormatError(f"verifier key: {exc}") from exc
    return VerifierKey(cap, common)


@functools.lru_cache(maxsize=256)
def _gate_for_key(name: str, cfg: ProofConfig) -> Gate:
    """The gate called ``name``, checked to fit ``cfg`` and to evaluate on a row of that shape (memoized)."""
    if not GATE_NAME.fullmatch(name):
        raise FormatError(f"unknown gate {name!r}")
    try:
        gate = gate_from_name(name)
    except ValueError as exc:
        raise FormatError(str(exc)) from exc
    if not 0 < gate.num_wires <= cfg.num_wires or not 0 <= gate.num_constants <= cfg.num_constants:
        raise FormatError(f"gate {name} does not fit {cfg.num_wires} wires and {cfg.num_constants} constants")
    if gate.num_constraints <= 0 or gate.degree + 1 > cfg.max_constraint_degree:
        raise FormatError(f"gate {name}: no constraints, or degree {gate.degree} too high for the configuration")
    zero = Ext(0)
    row = GateVars(wires=[zero] * cfg.num_wires, constants=[zero] * cfg.num_constants, public_inputs_hash=[zero] * 4)
    try:
        evaluated = gate.eval_constraints(row)
    except (ArithmeticError, IndexError, ValueError) as exc:
        raise FormatError(f"gate {name} cannot be evaluated: {exc}") from exc
    if len(evaluated) != gate.num_constraints:
        raise FormatError(f"gate {name} declares {gate.num_constraints} constraints, evaluates {len(evaluated)}")
    return gate
