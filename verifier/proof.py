"""Proof, verifier key and common circuit data.

Polynomial oracles (each a Merkle tree with cap over the rate-1/8 LDE of its
columns on the coset s*H_{8n}, s = 7, rows in bit-reversed order):

    0  CONSTANTS_SIGMAS  selectors (one per gate type), gate constants, sigma_i
                         for each routed wire i (preprocessed; its cap is the key)
    1  WIRES             the witness columns
    2  ZS_PARTIALS       Z and the partial products, each an F_p2-valued
                         polynomial stored as two base columns (c0, c1)
    3  QUOTIENT          the quotient's two coordinates, each split into
                         ``num_quotient_chunks`` chunks of degree < n (then,
                         with zero knowledge, the FRI mask R's two columns)

Every column except the mask is opened at zeta; Z's two columns are also
opened at g*zeta. The mask is only seen in query rows and through FRI
(``verifier.fri``). With zero knowledge the leaves of oracles 1-3 end with
``SALT_SIZE`` random elements (opened with the row, never part of a
polynomial); the public constants/sigmas oracle is not salted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from verifier.config import ProofConfig
from verifier.extension import Ext
from verifier.field import MULTIPLICATIVE_GENERATOR, P
from verifier.gates import Gate
from verifier.hashing import Digest, hash_elements
from verifier.merkle import MerkleProof
from verifier.zero_knowledge import MASK_COLUMNS, SALT_SIZE, num_blinding_rows, quotient_layout

CONSTANTS_SIGMAS, WIRES, ZS_PARTIALS, QUOTIENT = range(4)
NUM_ORACLES = 4
ORACLE_NAMES = ("constants/sigmas", "wires", "Z/partial products", "quotient")

COSET_SHIFT = MULTIPLICATIVE_GENERATOR
"""The LDE coset s*H_N uses s = 7, the generator of F_p*, so it is disjoint from H."""

PROTOCOL_VERSION = 1

ZERO_KNOWLEDGE_TAG = 1 << 32
"""Added to the encoding's first element when zero knowledge is on (non-ZK encodings are unchanged)."""


def pack_ascii(text: str) -> list[int]:
    """Pack an ASCII string into field elements, 7 bytes each, prefixed by its length."""
    data = text.encode("ascii")
    return [len(data)] + [int.from_bytes(data[i : i + 7], "little") for i in range(0, len(data), 7)]


@dataclass(frozen=True)
class CommonData:
    """Everything about a circuit's shape that prover and verifier share."""

    config: ProofConfig
    degree_bits: int
    gates: tuple[Gate, ...]
    num_public_inputs: int

    def __post_init__(self) -> None:
        if self.config.zero_knowledge and self.degree <= self.num_blinding_rows:
            raise ValueError(f"2^{self.degree_bits} rows leave no room beside {self.num_blinding_rows} blinding rows")

    @property
    def degree(self) -> int:
        return 1 << self.degree_bits

    @property
    def lde_bits(self) -> int:
        return self.degree_bits + self.config.rate_bits

    @property
    def num_selectors(self) -> int:
        return len(self.gates)

    @property
    def num_constant_columns(self) -> int:
        """Selectors followed by the gate constants."""
        return self.num_selectors + self.config.num_constants

    @property
    def num_routed_wires(self) -> int:
        return self.config.num_routed_wires

    @property
    def num_partial_products(self) -> int:
        """Intermediate products of the permutation argument (chunks minus one)."""
        chunk = self.config.partial_product_chunk
        return -(-self.num_routed_wires // chunk) - 1

    @property
    def num_zs_partial_columns(self) -> int:
        return 2 * (1 + self.num_partial_products)

    @property
    def num_blinding_rows(self) -> int:
        """h: the last h rows carry no gate; the prover fills them at random (``verifier.zero_knowledge``)."""
        return num_blinding_rows(self.config)

    @cached_property
    def quotient_stride(self) -> int:
        """m with Q(X) = sum_c X^{c m} Q_c(X): n, or n - b with zero knowledge."""
        return quotient_layout(self.config, self.degree_bits)[0]

    @cached_property
    def num_quotient_chunks(self) -> int:
        """Chunks per quotient coordinate: quotient_degree_factor, or one or more extra with zero knowledge."""
        return quotient_layout(self.config, self.degree_bits)[1]

    @property
    def num_mask_columns(self) -> int:
        """Columns of the FRI mask R at the end of the quotient oracle (zero without zero knowledge)."""
        return MASK_COLUMNS if self.config.zero_knowledge else 0

    @property
    def num_quotient_columns(self) -> int:
        """The quotient chunks' base columns (opened at zeta; the mask columns follow them)."""
        return 2 * self.num_quotient_chunks

    @property
    def salt_size(self) -> int:
        """Random elements at the end of each prover-committed oracle's leaves."""
        return SALT_SIZE if self.config.zero_knowledge else 0

    @cached_property
    def k_is(self) -> tuple[int, ...]:
        """Coset representatives k_i = 7^i: the identity permutation maps wire i, row r to k_i * g^r."""
        return tuple(pow(MULTIPLICATIVE_GENERATOR, i, P) for i in range(self.num_routed_wires))

    def oracle_widths(self) -> tuple[int, int, int, int]:
        """Columns of each oracle opened at zeta (the ``OpeningSet`` shape)."""
        return (
            self.num_constant_columns + self.num_routed_wires,
            self.config.num_wires,
            self.num_zs_partial_columns,
            self.num_quotient_columns,
        )

    def leaf_widths(self) -> tuple[int, int, int, int]:
        """Elements per Merkle leaf of each oracle: its opened columns, the mask (quotient oracle), the salt."""
        cs, wires, zs, quotient = self.oracle_widths()
        salt = self.salt_size
        return cs, wires + salt, zs + salt, quotient + self.num_mask_columns + salt

    @cached_property
    def fri_arities(self) -> tuple[int, ...]:
        """log2 of each FRI folding arity."""
        return tuple(self.config.fri_reduction_arities(self.degree_bits))

    @property
    def final_poly_len(self) -> int:
        return 1 << (self.degree_bits - sum(self.fri_arities))

    def encode(self) -> list[int]:
        """Field-element encoding, hashed into the circuit digest."""
        c = self.config
        out = [
            PROTOCOL_VERSION + (ZERO_KNOWLEDGE_TAG if c.zero_knowledge else 0),
            c.num_wires,
            c.num_routed_wires,
            c.num_constants,
            c.max_constraint_degree,
            c.rate_bits,
            c.cap_height,
            c.num_queries,
            c.pow_bits,
            c.fri_arity_bits,
            c.fri_final_poly_bits,
            self.degree_bits,
            self.num_public_inputs,
            len(self.gates),
        ]
        for gate in self.gates:
            out += pack_ascii(gate.name)
        return out


@dataclass(frozen=True)
class VerifierKey:
    """The preprocessed commitment plus the circuit's shape."""

    constants_sigmas_cap: tuple[Digest, ...]
    common: CommonData

    @cached_property
    def circuit_digest(self) -> Digest:
        """hash(common data encoding || cap): identifies the circuit; first thing in the transcript."""
        elements = self.common.encode()
        for d in self.constants_sigmas_cap:
            elements.extend(d)
        return hash_elements(elements)


@dataclass(frozen=True)
class OpeningSet:
    """Claimed evaluations of every committed column at zeta (and Z at g*zeta)."""

    constants_sigmas: tuple[Ext, ...]
    wires: tuple[Ext, ...]
    zs_partials: tuple[Ext, ...]
    quotient: tuple[Ext, ...]
    zs_next: tuple[Ext, ...]

    def at_zeta(self) -> list[Ext]:
        """All openings at zeta, in oracle order (the FRI batching order)."""
        return [*self.constants_sigmas, *self.wires, *self.zs_partials, *self.quotient]

    def observed(self) -> list[Ext]:
        """Everything the transcript absorbs, in order."""
        return [*self.at_zeta(), *self.zs_next]


@dataclass(frozen=True)
class OracleOpening:
    """One oracle's row at a query position and its Merkle path."""

    values: tuple[int, ...]
    proof: MerkleProof


@dataclass(frozen=True)
class FriStep:
    """A FRI layer's coset of evaluations containing the query point, and its path."""

    evals: tuple[Ext, ...]
    proof: MerkleProof


@dataclass(frozen=True)
class FriQueryRound:
    initial: tuple[OracleOpening, ...]
    steps: tuple[FriStep, ...]


@dataclass(frozen=True)
class FriProof:
    layer_caps: tuple[tuple[Digest, ...], ...]
    query_rounds: tuple[FriQueryRound, ...]
    final_poly: tuple[Ext, ...]
    pow_witness: int


@dataclass(frozen=True)
class Proof:
    """A proof for one circuit; public inputs travel beside it (see ``ProofWithPublicInputs``)."""

    wires_cap: tuple[Digest, ...]
    zs_partials_cap: tuple[Digest, ...]
    quotient_cap: tuple[Digest, ...]
    openings: OpeningSet
    fri: FriProof


@dataclass(frozen=True)
class ProofWithPublicInputs:
    proof: Proof
    public_inputs: tuple[int, ...]
