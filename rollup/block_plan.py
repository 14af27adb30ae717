"""A block's aggregation tree: node statements, their native combination, and the plan.

**Node statement.** Every proof of a block's aggregation tree attests one
subtree of the global sparse Merkle tree (depth D):

    (level, position, old_root[4], new_root[4], read_root[4], data_root[4])

the subtree of height ``level`` whose leftmost leaf is ``position`` (so the
low ``level`` bits of position are zero) had root ``old_root`` before the
block and ``new_root`` after it; every session in it read ``read_root``; and
``data_root`` is the root of the block-data tree over the subtree (leaf
H(uid, deposit, new_leaf) per session, empty subtrees default). A session
proof is the level-0 node at its user id (:func:`session_statement`).

**Combine** (:func:`combine_nodes` here, ``combine_nodes_circuit`` in
:mod:`rollup.circuits.tree`). Two children L, R with levels l_L, l_R and
positions u_L, u_R combine at the parent level l_P = bitlength(u_L xor u_R) with

    l_L < l_P,  l_R < l_P,  bit_{l_P - 1}(u_L) = 0,  bit_{l_P - 1}(u_R) = 1,
    bit_k(u_L) = bit_k(u_R) for k >= l_P,           read_L = read_R,

each child climbing from its level to l_P - 1 over the *untouched* siblings
(witnesses, the same for its old and new root, since no session of the block
wrote there; the data root climbs over empty defaults), and then

    old_P = C(old_L', old_R'), new_P = C(new_L', new_R'), data_P = C(data_L', data_R'),
    u_P = u_L with bits below l_P cleared, read_P = read_L.

So a chain of untouched levels is climbed inside one proof, and the number of
aggregation proofs is the number of leaves (sessions and batches) minus one.

**Batch** (:func:`batch_nodes` here, ``batch_nodes_circuit`` in
:mod:`rollup.circuits.batch`). One proof of up to K sessions of users u_1 < ... < u_K
of the subtree of height L at ``position`` P and of that subtree's update: from
R_0 = the old subtree root and T_0 = Z_L (the empty data subtree), for each entry
(o_i = u_i - P < 2^L, siblings s_i and t_i)

    climb(old_leaf_i, o_i, s_i) = R_{i-1},   R_i = climb(new_leaf_i, o_i, s_i),
    climb(Z_0, o_i, t_i)        = T_{i-1},   T_i = climb(data_i, o_i, t_i),

every session reading one read root; the statement is (L, P, R_0, R_K, read, T_K).
Why this gives the true roots is in docs/recursion.md ("Batches of delegated sessions").

**Plan** (:func:`plan_block`). When a subtree of height ``BATCH_LEVEL`` holds two or
more sessions and every one of them may be batched (``batchable``: delegated sessions
of at most ``BATCH_SLOTS`` operations), they become one batch leaf of that subtree;
every other session is a leaf of its own. The leaves are grouped as a binary
trie: a group splits at the highest bit where their positions differ, positions with
that bit 0 on the left. Each split is one aggregation (a :func:`combine_nodes`),
so a block of S leaves needs S leaf proofs, S - 1 aggregation proofs and one
block proof, in depth about log2(S). Every node's statement is computed natively
here, so the plan is checked against the block before anything is proven.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from rollup.block import Block
from rollup.errors import RollupError
from rollup.params import BATCH_LEVEL, BATCH_SESSIONS
from rollup.smt import SparseMerkleTree
from rollup.witness import SessionPublicData, SessionTrace
from verifier.hashing import Digest, compress
from verifier.light_client import BlockStatement
from verifier.merkle import default_digests

NODE_STATEMENT_LEN = 18
SESSION_LEVEL = 0
"""A session is the level-0 node at its user id."""
BLOCK_NODE = "block"
"""The key of the block proof among a block's proofs (the tree's nodes are keyed by :class:`PlanNode`)."""


SESSION_NODE_PREFIX = "session/"


def session_node_key(user_id: int) -> str:
    """``session/U``: the key of user U's session proof among a block's proofs."""
    return f"{SESSION_NODE_PREFIX}{user_id}"


def session_node_user(key: str) -> int:
    """U of a session node key ``session/U`` (ValueError for any other key)."""
    if not key.startswith(SESSION_NODE_PREFIX) or not key[len(SESSION_NODE_PREFIX) :].isdigit():
        raise ValueError(f"{key!r} is not a session node key")
    return int(key[len(SESSION_NODE_PREFIX) :])


def subtree_node_key(level: int, position: int) -> str:
    """``agg/L/P``: the key of the proof of the subtree of height L at P (an aggregation or a batch)."""
    return f"agg/{level}/{position}"


class BlockProvingError(RollupError):
    """A block could not be proven; the message names the node and the reason."""


# ----------------------------------------------------------------------------- node statements


@dataclass(frozen=True)
class NodeStatement:
    """The public statement of one proof of the aggregation tree (see the module docstring)."""

    level: int
    position: int
    old_root: Digest
    new_root: Digest
    read_root: Digest
    data_root: Digest

    def elements(self) -> list[int]:
        """(level, position, *old_root, *new_root, *read_root, *data_root): the proof's public inputs."""
        return [self.level, self.position, *self.old_root, *self.new_root, *self.read_root, *self.data_root]

    @staticmethod
    def from_elements(v: Sequence[int]) -> NodeStatement:
        """Parse the first :data:`NODE_STATEMENT_LEN` public inputs of a proof of the tree."""
        if len(v) < NODE_STATEMENT_LEN:
            raise ValueError(f"a node statement has {NODE_STATEMENT_LEN} elements, got {len(v)}")
        d = [tuple(int(x) for x in v[2 + 4 * i : 6 + 4 * i]) for i in range(4)]
        return NodeStatement(int(v[0]), int(v[1]), d[0], d[1], d[2], d[3])  # type: ignore[arg-type]


def public_session_statement(public: SessionPublicData, old_leaf: Digest, read_root: Digest) -> NodeStatement:
    """The statement of a session proof from the session's public data, its user's old leaf and the read root:
    (0, user_id, old_leaf, new_leaf, read_root, public.digest()), with new_leaf = public.new_leaf."""
    return NodeStatement(SESSION_LEVEL, public.user_id, old_leaf, public.new_leaf, read_root, public.digest())


def session_statement(trace: SessionTrace) -> NodeStatement:
    """The statement a proof of ``trace`` carries: the level-0 node at its user id (from the trace's own fields)."""
    return public_session_statement(trace.public_data(), trace.old_leaf, trace.read_root)


def parent_level(left: NodeStatement, right: NodeStatement) -> int:
    """The level where the subtrees of two nodes meet."""
    return (left.position ^ right.position).bit_length()


def climb(node: Digest, position: int, start: int, stop: int, siblings: Sequence[Digest]) -> Digest:
    """Climb from level ``start`` to level ``stop`` (siblings[k] used at level k)."""
    for k in range(start, stop):
        node = compress(siblings[k], node) if (position >> k) & 1 else compress(node, siblings[k])
    return node


def combine_nodes(
    left: NodeStatement,
    right: NodeStatement,
    left_siblings: Sequence[Digest],
    right_siblings: Sequence[Digest],
    depth: int,
) -> NodeStatement:
    """Native twin of ``combine_nodes_circuit``; raises ValueError when the children do not combine."""
    level = parent_level(left, right)
    defaults = default_digests(depth)
    for child, bit in ((left, 0), (right, 1)):
        if child.level >= level or child.position & ((1 << child.level) - 1):
            raise ValueError(
                f"child at level {child.level}, position {child.position} does not fit under level {level}"
            )
        if (child.position >> (level - 1)) & 1 != bit:
            raise ValueError("children are not in the left and right halves of their parent")
    if left.read_root != right.read_root:
        raise ValueError("children read different roots")
    lifted = []
    for child, siblings in ((left, left_siblings), (right, right_siblings)):
        lifted.append(
            (
                climb(child.old_root, child.position, child.level, level - 1, siblings),
                climb(child.new_root, child.position, child.level, level - 1, siblings),
                climb(child.data_root, child.position, child.level, level - 1, defaults),
            )
        )
    (lo, ln, ld), (ro, rn, rd) = lifted
    position = left.position >> level << level
    return NodeStatement(level, position, compress(lo, ro), compress(ln, rn), left.read_root, compress(ld, rd))


def climb_to_root(node: NodeStatement, siblings: Sequence[Digest], depth: int) -> tuple[Digest, Digest, Digest]:
    """(old, new, data) roots of the whole tree from a node (native twin of the block circuit's climb)."""
    defaults = default_digests(depth)
    return (
        climb(node.old_root, node.position, node.level, depth, siblings),
        climb(node.new_root, node.position, node.level, depth, siblings),
        climb(node.data_root, node.position, node.level, depth, defaults),
    )


# ----------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class Batch:
    """The witness of a batch node: the sessions (ascending user ids) of the subtree of height ``level`` at
    ``position``, its root before them, and each session's siblings in the running state and data
    subtrees (``siblings[i][k]`` at level k, after the sessions before it were written)."""

    level: int
    position: int
    old_root: Digest
    traces: tuple[SessionTrace, ...]
    siblings: tuple[tuple[Digest, ...], ...]
    data_siblings: tuple[tuple[Digest, ...], ...]

    @property
    def read_root(self) -> Digest:
        """The root the batch's sessions read (the first one's; ``batch_nodes`` checks they all do)."""
        return self.traces[0].read_root


def batch_of(tree: SparseMerkleTree, traces: Sequence[SessionTrace], level: int) -> Batch:
    """The batch of ``traces`` (users of one subtree of height ``level``) against the global ``tree``
    before them: each session's siblings are read off the subtree as the sessions before it left it."""
    ordered = sorted(traces, key=lambda t: t.user_id)
    position = ordered[0].user_id >> level << level
    if any(trace.user_id >> level << level != position for trace in ordered):
        raise ValueError(f"the users of a batch are not in one subtree of height {level}")
    subtree, data = SparseMerkleTree(level), SparseMerkleTree(level)
    subtree.set_leaves({o: tree.node(0, position + o) for o in range(1 << level)})
    siblings, data_siblings = [], []
    for trace in ordered:
        offset = trace.user_id - position
        siblings.append(subtree.siblings(offset))
        data_siblings.append(data.siblings(offset))
        subtree.set_leaf(offset, trace.new_leaf)
        data.set_leaf(offset, trace.public_data().digest())
    old_root = tree.node(level, position >> level)
    return Batch(level, position, old_root, tuple(ordered), tuple(siblings), tuple(data_siblings))


def batch_nodes(batch: Batch) -> NodeStatement:
    """Native twin of ``batch_nodes_circuit``: the batch's node statement; ValueError when it is not one."""
    level, position = batch.level, batch.position
    if position & ((1 << level) - 1) or not batch.traces:
        raise ValueError(f"no batch of height {level} at position {position} with {len(batch.traces)} sessions")
    defaults = default_digests(level)
    root, data, previous = batch.old_root, defaults[level], -1
    for trace, siblings, data_siblings in zip(batch.traces, batch.siblings, batch.data_siblings, strict=True):
        session = session_statement(trace)
        offset = session.position - position
        if not previous < offset < 1 << level:
            raise ValueError(f"user {session.position} is not after the batch's previous user inside its subtree")
        if session.read_root != batch.read_root:
            raise ValueError(f"user {session.position} read another root than the batch")
        if len(siblings) != level or len(data_siblings) != level:
            raise ValueError(f"user {session.position}'s paths do not have {level} siblings")
        if climb(session.old_root, offset, 0, level, siblings) != root:
            raise ValueError(f"user {session.position}'s old leaf is not under the batch's running root")
        if climb(defaults[0], offset, 0, level, data_siblings) != data:
            raise ValueError(f"user {session.position}'s data path is not under the batch's running data root")
        root = climb(session.new_root, offset, 0, level, siblings)
        data = climb(session.data_root, offset, 0, level, data_siblings)
        previous = offset
    return NodeStatement(level, position, batch.old_root, root, batch.read_root, data)


# ----------------------------------------------------------------------------- the plan


@dataclass
class PlanNode:
    """A node of a block's aggregation tree with its natively computed statement."""

    key: str
    statement: NodeStatement
    trace: SessionTrace | None = None
    """A session node's trace, to prove it; None for a session its user proved (its proof is stored)."""
    children: tuple[PlanNode, PlanNode] | None = None
    user_ids: list[int] = field(default_factory=list)
    batch: Batch | None = None
    """The sessions of a batch leaf (then ``trace`` and ``children`` are None)."""

    def render(self, indent: str = "") -> list[str]:
        s = self.statement
        what = f"session of user {s.position}" if self.children is None else f"level {s.level} at {s.position}"
        if self.batch is not None:
            what = f"batch of {len(self.user_ids)} sessions at level {s.level}, position {s.position}"
        lines = [f"{indent}{self.key}: {what}"]
        for child in self.children or ():
            lines += child.render(indent + "  ")
        return lines


@dataclass
class BlockPlan:
    number: int
    top: PlanNode
    statement: BlockStatement
    previous_tree: SparseMerkleTree

    def nodes(self) -> list[PlanNode]:
        out: list[PlanNode] = []
        stack = [self.top]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(node.children or ())
        return out

    def render(self) -> str:
        return "\n".join([f"{BLOCK_NODE}: block {self.number}", *self.top.render("  ")])


def siblings_of(tree: SparseMerkleTree, statement: NodeStatement) -> list[Digest]:
    """The siblings of every level above a node (those below its level are never used)."""
    return [tree.node(k, (statement.position >> k) ^ 1) for k in range(tree.depth)]


def plan_leaves(
    number: int,
    traces: Sequence[SessionTrace],
    previous_tree: SparseMerkleTree,
    batchable: Collection[int],
    proven_users: Collection[int] = frozenset(),
) -> list[PlanNode]:
    """The leaves of ``traces``' sessions, by user id: a batch of the sessions of each subtree of height
    ``BATCH_LEVEL`` that holds two or more sessions, all of users in ``batchable``, and none of the
    ``proven_users`` (whose proofs are leaves of their own, so no batch may cover them); a session of its
    own for every other one."""
    occupied = {user >> BATCH_LEVEL for user in proven_users}
    groups: dict[int, list[SessionTrace]] = {}
    for trace in sorted(traces, key=lambda t: t.user_id):
        groups.setdefault(trace.user_id >> BATCH_LEVEL, []).append(trace)
    leaves = []
    for subtree, group in groups.items():
        users = [trace.user_id for trace in group]
        if subtree not in occupied and 1 < len(group) <= BATCH_SESSIONS and all(u in batchable for u in users):
            batch = batch_of(previous_tree, group, BATCH_LEVEL)
            try:
                statement = batch_nodes(batch)
            except ValueError as exc:
                raise BlockProvingError(f"block {number}: the batch of users {users}: {exc}") from exc
            key = subtree_node_key(statement.level, statement.position)
            leaves.append(PlanNode(key, statement, user_ids=users, batch=batch))
            continue
        leaves += [
            PlanNode(session_node_key(trace.user_id), session_statement(trace), trace=trace, user_ids=[trace.user_id])
            for trace in group
        ]
    return leaves


def plan_block(
    number: int,
    traces: Sequence[SessionTrace],
    previous_tree: SparseMerkleTree,
    whitelist_root: Digest,
    *,
    proven: Sequence[NodeStatement] = (),
    batchable: Collection[int] = frozenset(),
) -> BlockPlan:
    """The aggregation tree of a block (statements computed natively) over the sessions to prove, ``traces``,
    and the statements of the sessions their users proved, ``proven`` (their proofs exist already); the
    sessions of the users in ``batchable`` may be batched (:func:`plan_leaves`)."""
    if not traces and not proven:
        raise BlockProvingError(f"block {number} has no sessions; there is nothing to prove")
    depth = previous_tree.depth
    leaves = sorted(
        [
            *plan_leaves(number, traces, previous_tree, batchable, {s.position for s in proven}),
            *(PlanNode(session_node_key(s.position), s, user_ids=[s.position]) for s in proven),
        ],
        key=lambda node: node.statement.position,
    )

    def build(group: list[PlanNode]) -> PlanNode:
        if len(group) == 1:
            return group[0]
        positions = [n.statement.position for n in group]
        bit = (min(positions) ^ max(positions)).bit_length() - 1
        left = build([n for n in group if not (n.statement.position >> bit) & 1])
        right = build([n for n in group if (n.statement.position >> bit) & 1])
        statement = combine_nodes(
            left.statement,
            right.statement,
            siblings_of(previous_tree, left.statement),
            siblings_of(previous_tree, right.statement),
            depth,
        )
        key = subtree_node_key(statement.level, statement.position)
        return PlanNode(key, statement, children=(left, right), user_ids=left.user_ids + right.user_ids)

    top = build(leaves)
    old, new, data = climb_to_root(top.statement, siblings_of(previous_tree, top.statement), depth)
    if old != previous_tree.root or top.statement.read_root != old:
        raise BlockProvingError(f"block {number}: sessions do not read the previous root")
    statement = BlockStatement(old, new, number, data, whitelist_root)
    return BlockPlan(number, top, statement, previous_tree)


def check_plan_matches_block(plan: BlockPlan, block: Block) -> None:
    """The planned statement must be the finalized block's: same number, roots and public-data digest.

    Replaying stored sessions on the stored previous state gives the plan, so a
    mismatch means the stored chain is inconsistent; nothing is proven then.
    """
    planned = (plan.number, plan.statement.prev_root, plan.statement.new_root, plan.statement.data_root)
    stored = (block.number, block.prev_root, block.new_root, block.data_digest)
    for what, mine, theirs in zip(("number", "previous root", "new root", "data digest"), planned, stored, strict=True):
        if mine != theirs:
            raise BlockProvingError(f"block {block.number}: the planned {what} differs from the stored block's")
