"""The batch circuit: up to K delegated sessions and the update of the subtree that holds them, in one proof.

In-circuit twin of :func:`rollup.block_plan.batch_nodes` (read its docstring and
docs/recursion.md, "Batches of delegated sessions", for the rule and its
soundness). Its public statement is an ordinary node statement

    (L, position, old_root[4], new_root[4], read_root[4], data_root[4]) || whitelist_root[4]

of the subtree of height L = ``BATCH_LEVEL`` at ``position``, so the tree's
aggregation circuits combine it like any node. It is proven as a zero-knowledge
leaf of the tree's 2^13 rows, the full session circuit's shape, so the
aggregation variants and the lift of that shape take a batch proof as they take
a full session, and a batch proof reveals no more of its users' states than
their session proofs would.

For entries i = 1..K (``enabled_i``; enabled entries form a prefix and the first is enabled):

    session_i:  the session circuit's rules on entry i's witness (slots of any kind), with user id
                u_i and the batch's one read root; "at least one operation" binds only an enabled
                entry (:func:`rollup.circuits.session_circuit.verify_session_circuit`)
    offset:     o_i = u_i - position < 2^L             (u_i in the subtree; its bits are the path)
    distinct:   enabled_i * (o_i - o_{i-1} - 1) < 2^L   (i > 1: u_{i-1} < u_i)
    state:      climb(old_leaf_i, o_i, s_i) = R_{i-1},  R_i = climb(new_leaf_i, o_i, s_i)
    data:       climb(Z_0, o_i, t_i) = T_{i-1},         T_i = climb(data_i, o_i, t_i)

with R_0 = old_root, T_0 = Z_L (the empty subtree), and a disabled entry leaving R and T as they were;
new_root = R_K, data_root = T_K. The position is a multiple of 2^L below 2^D.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.circuit_data import CircuitData
from circuits.gadgets import (
    add_virtual_digests,
    assert_digest_equal_if,
    logical_not,
    merkle_update_circuit,
    select_digest,
)
from circuits.recursion.aggregation import AggregationScheme
from circuits.witness import Target
from rollup.block_plan import Batch, NodeStatement
from rollup.circuits.assignment import (
    PADDING_STATE,
    session_inputs,
    set_digest,
    set_padding_slot,
    set_state,
)
from rollup.circuits.session_circuit import SessionTargets, verify_session_circuit
from rollup.circuits.tree import NodeTargets
from rollup.params import BATCH_LEVEL, BATCH_SESSIONS, BATCH_SLOTS, GLOBAL_TREE_DEPTH, SECRET_SIZE
from rollup.slot_layout import SlotLayout
from rollup.smt import EMPTY_LEAF
from verifier.hashing import Digest
from verifier.merkle import default_digests
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey


@dataclass(frozen=True)
class BatchEntryTargets:
    """Entry i of a batch: its flag, its session, and its state-tree and data-tree paths in the subtree."""

    enabled: Target
    session: SessionTargets
    siblings: list[DigestTarget]
    data_siblings: list[DigestTarget]


@dataclass(frozen=True)
class BatchTargets:
    """The batch's statement targets (``statement.level`` is the constant L) and its entries."""

    statement: NodeTargets
    entries: list[BatchEntryTargets]


def batch_nodes_circuit(b: CircuitBuilder, num_entries: int, level: int, num_slots: int) -> BatchTargets:
    """Twin of ``batch_nodes``: the batch's node statement from ``num_entries`` session entries (see the
    module docstring); registers nothing."""
    position = b.add_virtual_target()
    (high,) = b.add_hint([position], 1, lambda v: [v[0] >> level])
    b.range_check(high, GLOBAL_TREE_DEPTH - level)
    b.connect(b.scale(1 << level, high), position)  # position = high * 2^L < 2^D
    old_root, read_root = b.add_virtual_digest(), b.add_virtual_digest()
    root = old_root
    data = b.constant_digest(default_digests(level)[level])
    empty = b.constant_digest(default_digests(level)[0])
    entries: list[BatchEntryTargets] = []
    previous: tuple[Target, Target] | None = None  # (enabled, offset) of the entry before
    for _ in range(num_entries):
        enabled = b.add_virtual_target()
        b.assert_bool(enabled)
        session = verify_session_circuit(b, SlotLayout.of_any(num_slots), read_root, enabled)
        offset = b.sub(session.user_id, position)
        bits = b.split_le(offset, level)  # u_i - position < 2^L: u_i is in the subtree
        if previous is None:
            b.connect(enabled, b.one())  # a batch holds at least one session
        else:
            before, before_offset = previous
            b.assert_zero(b.mul(enabled, logical_not(b, before)))  # enabled entries form a prefix
            gap = b.mul(enabled, b.add_const(b.sub(offset, before_offset), -1))
            b.range_check(gap, level)  # u_{i-1} < u_i
        siblings = add_virtual_digests(b, level)
        old_nodes, new_nodes = merkle_update_circuit(b, session.old_leaf, session.new_leaf, bits, siblings)
        assert_digest_equal_if(b, enabled, old_nodes[level], root)
        root = select_digest(b, enabled, root, new_nodes[level])
        data_siblings = add_virtual_digests(b, level)
        old_data, new_data = merkle_update_circuit(b, empty, session.data_digest, bits, data_siblings)
        assert_digest_equal_if(b, enabled, old_data[level], data)
        data = select_digest(b, enabled, data, new_data[level])
        entries.append(BatchEntryTargets(enabled, session, siblings, data_siblings))
        previous = (enabled, offset)
    statement = NodeTargets(b.constant(level), position, old_root, root, read_root, data)
    return BatchTargets(statement, entries)


def set_padding_entry(inputs: dict[Target, int], entry: BatchEntryTargets, position: int) -> None:
    """A disabled entry: the user id is the subtree's first, every other input zero."""
    session = entry.session
    inputs[entry.enabled] = 0
    inputs[session.user_id] = position
    inputs[session.registers] = 0
    inputs[session.deposit] = 0
    set_digest(inputs, session.secret, [0] * SECRET_SIZE)
    set_state(inputs, session.old_state, PADDING_STATE)
    for slot in session.slots:
        set_padding_slot(inputs, slot)
    for sibling in [*entry.siblings, *entry.data_siblings]:
        set_digest(inputs, sibling, EMPTY_LEAF)


def set_paths(inputs: dict[Target, int], targets: Sequence[DigestTarget], path: Sequence[Digest]) -> None:
    """Assign one entry's siblings (exactly L of them)."""
    if len(path) != len(targets):
        raise ValueError(f"a batch path has {len(targets)} siblings, got {len(path)}")
    for target, digest in zip(targets, path, strict=True):
        set_digest(inputs, target, digest)


class BatchCircuit:
    """A built batch circuit: up to ``num_entries`` sessions of ``num_slots`` slots under a subtree of height
    ``level``, proven as a zero-knowledge leaf of the tree's degree with a pass-through whitelist root."""

    def __init__(self, data: CircuitData, targets: BatchTargets, whitelist_root: DigestTarget, level: int) -> None:
        """Use :meth:`build`."""
        self.data = data
        self.targets = targets
        self.whitelist_root = whitelist_root
        self.level = level

    @classmethod
    def build(
        cls,
        scheme: AggregationScheme,
        tree_shape: CommonData,
        num_entries: int = BATCH_SESSIONS,
        level: int = BATCH_LEVEL,
        num_slots: int = BATCH_SLOTS,
    ) -> BatchCircuit:
        """Build the circuit in the zero-knowledge leaf shape of the tree's degree (``tree_shape``'s), the full
        session's; CircuitError if the entries do not fit it."""
        if not 1 <= num_entries <= 1 << level:
            raise ValueError(f"a batch of height {level} holds 1 to {1 << level} sessions, not {num_entries}")
        shape = scheme.zk_leaf_shape(tree_shape.degree_bits)
        b = CircuitBuilder(shape.config)
        targets = batch_nodes_circuit(b, num_entries, level, num_slots)
        whitelist_root = scheme.register_leaf_statement(b, targets.statement.elements())
        return cls(b.build(shape), targets, whitelist_root, level)

    @property
    def verifier_key(self) -> VerifierKey:
        return self.data.verifier_key

    @property
    def num_entries(self) -> int:
        return len(self.targets.entries)

    def inputs(self, batch: Batch, whitelist_root: Digest) -> dict[Target, int]:
        """The values of every input target for ``batch`` (nothing is checked: the circuit does)."""
        if batch.level != self.level:
            raise ValueError(f"a batch of height {batch.level} given to the circuit of height {self.level}")
        if len(batch.traces) > self.num_entries:
            raise ValueError(f"{len(batch.traces)} sessions do not fit a batch of {self.num_entries}")
        inputs: dict[Target, int] = {}
        statement = self.targets.statement
        inputs[statement.position] = batch.position
        set_digest(inputs, statement.old_root, batch.old_root)
        set_digest(inputs, self.whitelist_root, whitelist_root)
        for position, entry in enumerate(self.targets.entries):
            if position < len(batch.traces):
                inputs.update(session_inputs(entry.session, batch.traces[position]))
                inputs[entry.enabled] = 1
                set_paths(inputs, entry.siblings, batch.siblings[position])
                set_paths(inputs, entry.data_siblings, batch.data_siblings[position])
            else:
                set_padding_entry(inputs, entry, batch.position)
        set_digest(inputs, statement.read_root, batch.read_root)  # the one root every entry reads
        return inputs

    def prove(self, batch: Batch, whitelist_root: Digest) -> ProofWithPublicInputs:
        """Prove ``batch`` (ValueError from witness generation, or ProvingError, when a rule is broken)."""
        return self.data.prove(self.inputs(batch, whitelist_root))

    def verify(self, proof: ProofWithPublicInputs) -> NodeStatement:
        """Verify a batch proof (VerificationError on rejection) and return its node statement."""
        self.data.verify(proof)
        return NodeStatement.from_elements(proof.public_inputs)
