"""Proving a block: session proofs in parallel, aggregation up the global tree, the block proof.

Plan. The aggregation tree of a block and every node's statement are computed
natively first (:func:`rollup.block_plan.plan_block`), so the plan is checked
against the block before anything is proven. Sessions the operator proves itself
(delegated: no session proof of theirs is stored) of at most ``BATCH_SLOTS``
operations are batched by subtree (:func:`batchable_users`); own-proven, larger and
lone sessions stay leaves of their own.

Jobs. Each proof is a job: a pure function of plain data (a session trace, or
child proof bytes and sibling digests) returning proof bytes, so a job runs in
a local process, on a Dask worker, or again after a failure. Workers build the
circuits once per process (deterministic keys). Jobs run as soon as their
inputs exist (``prover.jobs``).

Persistence. Proofs are stored per block and node as they are produced; a
restarted prover skips the nodes already stored. Which stored proofs it may
reuse is the caller's choice (:class:`ProofReuse`): all of them, or only those
that verify under the current circuits' keys (proofs of another version of the
circuits, or damaged ones, are then proven again and overwritten).
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from circuits.recursion.aggregation import AggregationScheme, ChildProof
from prover.jobs import Dep, Executor, Job, JobRejected, LocalExecutor, Progress, ProgressEvent, RunResult
from rollup.block import Block
from rollup.block_plan import (
    BLOCK_NODE,
    SESSION_LEVEL,
    Batch,
    BlockPlan,
    BlockProvingError,
    NodeStatement,
    PlanNode,
    check_plan_matches_block,
    plan_block,
    public_session_statement,
    session_node_key,
    session_statement,
    siblings_of,
)
from rollup.circuits.batch import BatchCircuit
from rollup.circuits.block import BlockCircuits
from rollup.circuits.session import SessionCircuit
from rollup.errors import SessionTooLargeError
from rollup.execution import execute_session
from rollup.params import BATCH_LEVEL, BATCH_SLOTS, GLOBAL_TREE_DEPTH
from rollup.session_proving import cheapest_session_circuit, operation_count
from rollup.slot_layout import BLOCK_TREE_LAYOUTS, SlotLayout
from rollup.smt import SparseMerkleTree
from rollup.state import ChainState
from rollup.storage import Storage
from rollup.witness import SessionTrace
from verifier.chain import GENESIS_HEIGHT
from verifier.errors import VerificationError
from verifier.hashing import Digest
from verifier.plonk import verify_proof
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey
from verifier.serialization import FormatError, proof_from_bytes, proof_to_bytes

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- circuits (one set per process)


@dataclass
class RollupCircuits:
    """The circuits of the rollup: the block tree's session circuits (by size), its batch circuit and the
    block circuits."""

    blocks: BlockCircuits
    sessions: tuple[SessionCircuit, ...]
    """The tree's session circuits, one per layout of ``BLOCK_TREE_LAYOUTS``, cheapest first: the small one
    (2^9 rows, slots of any kind), the medium send session (2^11 rows, send-only slots), the medium session (2^11
    rows, slots of any kind), the full send session
    (2^13 rows, send-only slots), the mixed full session (2^13 rows, MIXED_ANY_SLOTS slots of any kind then
    send-only ones) and the full one (2^13 rows, slots of any kind)."""
    batch: BatchCircuit
    """Batches of delegated sessions, in the full session's shape (:mod:`rollup.circuits.batch`)."""

    @property
    def block_verifier_key(self) -> VerifierKey:
        return self.blocks.block.circuit.verifier_key

    def session(self, layout: SlotLayout) -> SessionCircuit:
        """The tree's session circuit of ``layout`` (KeyError if ``BLOCK_TREE_LAYOUTS`` has no such layout)."""
        by_layout = {circuit.layout: circuit for circuit in self.sessions}
        return by_layout[layout]

    def session_for(self, trace: SessionTrace) -> SessionCircuit:
        """The cheapest session circuit of the tree holding ``trace`` (:func:`cheapest_session_circuit`)."""
        return cheapest_session_circuit(self.sessions, trace)

    def key(self, digest: Digest) -> VerifierKey:
        """The whitelisted key (a session, aggregation or lift circuit's) with this circuit digest."""
        for vk in self._keys():
            if vk.circuit_digest == digest:
                return vk
        raise ValueError(f"no circuit of the block tree has the key digest {digest}")

    def _user_proof_key(self, node: PlanNode, done: dict[str, bytes]) -> VerifierKey:
        """The session key the stored proof of a session its user proved verifies under."""
        if node.key not in done:
            raise BlockProvingError(f"{node.key} was proven by its user, and its proof is not stored")
        try:
            return self.session_circuit_of(proof_from_bytes(done[node.key])).data.verifier_key
        except (FormatError, VerificationError) as exc:
            raise BlockProvingError(f"the stored proof of {node.key}, which its user made, fails: {exc}") from exc

    def _keys(self) -> list[VerifierKey]:
        aggregations = [circuit.verifier_key for circuit in self.blocks.aggregations.values()]
        lifts = [circuit.verifier_key for circuit in self.blocks.lifts.values()]
        sessions = [session.data.verifier_key for session in self.sessions]
        return [*sessions, self.batch.verifier_key, *aggregations, *lifts]

    def verify_session(self, proof: ProofWithPublicInputs) -> NodeStatement:
        """The statement of a session proof of the tree, verified under the session key of its shape
        (VerificationError when no session key accepts it, ValueError when it is not a session statement)."""
        return self.session_circuit_of(proof).verify(proof)

    def session_circuit_of(self, proof: ProofWithPublicInputs) -> SessionCircuit:
        """The session circuit whose key verifies ``proof`` (VerificationError of the last try if none)."""
        *others, last = self.sessions
        for circuit in others:
            try:
                verify_proof(circuit.data.verifier_key, proof.proof, proof.public_inputs)
            except VerificationError:
                continue  # a proof of another shape fails the verifier's format check
            return circuit
        verify_proof(last.data.verifier_key, proof.proof, proof.public_inputs)
        return last

    def child(self, proof: ProofWithPublicInputs) -> ChildProof:
        """A proof of the tree with the key it verifies under, found by trying the keys of its level
        (sessions are the level-0 nodes; an aggregation proof's key is the variant's that verifies it,
        ``aggregation_key_of``; a proof at the batch level may be a batch). A prover that knows the plan
        names the key instead (:func:`plan_jobs`)."""
        if proof.public_inputs[0] == SESSION_LEVEL:
            try:
                return ChildProof(proof, self.session_circuit_of(proof).data.verifier_key)
            except VerificationError:
                return ChildProof(proof, self.sessions[-1].data.verifier_key)
        if proof.public_inputs[0] == BATCH_LEVEL:
            try:
                verify_proof(self.batch.verifier_key, proof.proof, proof.public_inputs)
                return ChildProof(proof, self.batch.verifier_key)
            except VerificationError:
                pass  # an aggregation at the batch's level
        return ChildProof(proof, self.blocks.aggregation_key_of(proof))

    def node_keys(self, plan: BlockPlan, done: dict[str, bytes] | None = None) -> dict[str, VerifierKey]:
        """The key every node of ``plan`` is proven under: a session's is the cheapest session circuit
        holding it (for a session its user proved, the one its proof in ``done`` verifies under), an
        aggregation's the variant taking its children's shapes."""
        keys: dict[str, VerifierKey] = {}
        for node in reversed(plan.nodes()):  # children before parents
            if node.batch is not None:
                keys[node.key] = self.batch.verifier_key
            elif node.children is None:
                trace = node.trace
                keys[node.key] = (
                    self._user_proof_key(node, done or {})
                    if trace is None
                    else self.session_for(trace).data.verifier_key
                )
            else:
                left, right = (keys[child.key].common for child in node.children)
                keys[node.key] = self.blocks.aggregation_for(left, right).verifier_key
        return keys


@functools.cache
def rollup_circuits() -> RollupCircuits:
    """Build (once per process) every circuit; the keys are deterministic, so all workers agree.

    The tree has a session circuit per layout of ``BLOCK_TREE_LAYOUTS``, all zero-knowledge, each in the
    zero-knowledge leaf shape of the degree the table gives it: the small one (2^9 rows), the medium send
    session and the medium one (2^11 rows, one shape), then the full send session, the mixed full session and
    the full one, in the tree's own degree (2^13 rows). These three and the batch circuit are leaves of one
    shape, so they need no aggregation variant or lift of their own: only their keys in the whitelist; so are
    the two medium ones. Each leaf shape other than the tree's has a variant per pair of child shapes and a
    lift (:meth:`BlockCircuits.build`).
    """
    sessions: list[SessionCircuit] = []
    batches: list[BatchCircuit] = []

    def leaf_keys(scheme: AggregationScheme, tree: CommonData) -> list[VerifierKey]:
        for layout, degree_bits in BLOCK_TREE_LAYOUTS.items():
            shape = scheme.zk_leaf_shape(degree_bits)
            sessions.append(SessionCircuit.build(layout, shape.config, tree_shape=shape))
        batches.append(BatchCircuit.build(scheme, tree))
        return [*(session.data.verifier_key for session in sessions), batches[0].verifier_key]

    blocks = BlockCircuits.build(GLOBAL_TREE_DEPTH, leaf_keys)
    return RollupCircuits(blocks, tuple(sessions), batches[0])


# ----------------------------------------------------------------------------- jobs (top-level, pure)


def prove_session_job(trace: SessionTrace) -> bytes:
    """A session proof of the block tree."""
    c = rollup_circuits()
    try:
        proof = c.session_for(trace).prove(trace, session_statement(trace), c.blocks.whitelist.root)
    except SessionTooLargeError as exc:
        raise JobRejected(f"user {trace.user_id}: {exc}") from exc
    return proof_to_bytes(proof)


def prove_batch_job(batch: Batch) -> bytes:
    """A batch proof of the block tree (the plan batches only sessions that fit its entries)."""
    c = rollup_circuits()
    return proof_to_bytes(c.batch.prove(batch, c.blocks.whitelist.root))


def aggregate_job(
    left: bytes,
    right: bytes,
    left_siblings: list[Digest],
    right_siblings: list[Digest],
    child_keys: tuple[Digest, Digest],
) -> bytes:
    """The aggregation proof of two child nodes, each under the key (by digest) the plan names for it."""
    c = rollup_circuits()
    children = [ChildProof(proof_from_bytes(b), c.key(d)) for b, d in zip((left, right), child_keys, strict=True)]
    return proof_to_bytes(c.blocks.aggregate(children[0], children[1], left_siblings, right_siblings))


def block_job(top: bytes, siblings: list[Digest], block_number: int, top_key: Digest) -> bytes:
    """The block proof from the top node of the tree (proven under the key with digest ``top_key``)."""
    c = rollup_circuits()
    child = ChildProof(proof_from_bytes(top), c.key(top_key))
    return proof_to_bytes(c.blocks.prove_block(child, siblings, block_number))


def plan_jobs(plan: BlockPlan, done: dict[str, bytes]) -> list[Job]:
    """Jobs for the nodes not already in ``done`` (finished proofs are passed as data); each
    aggregation and the block job are told the keys their children were proven under."""
    jobs: list[Job] = []
    try:
        keys = {node: vk.circuit_digest for node, vk in rollup_circuits().node_keys(plan, done).items()}
    except SessionTooLargeError as exc:
        raise BlockProvingError(f"block {plan.number} could not be proven: {exc}") from exc

    def source(node: PlanNode) -> bytes | Dep:
        return done[node.key] if node.key in done else Dep(node.key)

    for node in plan.nodes():
        if node.key in done:
            continue
        if node.batch is not None:
            jobs.append(Job(node.key, prove_batch_job, (node.batch,)))
        elif node.children is None:
            assert node.trace is not None  # node_keys refused a session its user proved without its proof
            jobs.append(Job(node.key, prove_session_job, (node.trace,)))
        else:
            left, right = node.children
            args = (
                source(left),
                source(right),
                siblings_of(plan.previous_tree, left.statement),
                siblings_of(plan.previous_tree, right.statement),
                (keys[left.key], keys[right.key]),
            )
            jobs.append(Job(node.key, aggregate_job, args))
    if BLOCK_NODE not in done:
        top = (source(plan.top), siblings_of(plan.previous_tree, plan.top.statement), plan.number, keys[plan.top.key])
        jobs.append(Job(BLOCK_NODE, block_job, top))
    # a stored node's ancestors may already be stored too; jobs whose inputs are all stored still run
    return jobs


def batchable_users(traces: Sequence[SessionTrace], proven: Collection[str]) -> frozenset[int]:
    """The users whose sessions the operator may batch: it proves them itself (no session proof of theirs
    is among the ``proven`` node keys: own-proven sessions come with theirs) and they fit a batch entry
    (at most ``BATCH_SLOTS`` operations)."""
    return frozenset(
        trace.user_id
        for trace in traces
        if session_node_key(trace.user_id) not in proven and operation_count(trace) <= BATCH_SLOTS
    )


@dataclass
class BlockProof:
    plan: BlockPlan
    proof: ProofWithPublicInputs
    proofs: dict[str, bytes]
    run: RunResult | None


def prove_block(
    number: int,
    traces: Sequence[SessionTrace],
    previous_tree: SparseMerkleTree,
    executor: Executor | None = None,
    done: dict[str, bytes] | None = None,
    on_proof: Callable[[str, bytes], None] | None = None,
    progress: Progress | None = None,
    expected: Block | None = None,
    proven: Sequence[NodeStatement] = (),
    batch: bool = True,
) -> BlockProof:
    """Prove a block from its session traces (and the statements of the sessions its users proved, whose
    proofs ``done`` holds) and the global tree before it.

    ``done`` holds proofs already produced (resumption; a session whose proof is there, as an
    own-proven one is, stays a leaf of its own); ``on_proof`` is told
    each new proof the moment it exists (e.g. to store it, so a crash loses no
    finished proof); ``progress`` also sees every job event; ``expected`` is the
    finalized block the plan must match before anything is proven; ``batch=False`` proves every
    session on its own (the path before batches, which the benchmark compares).
    """
    circuits = rollup_circuits()
    proofs = dict(done or {})
    batchable = batchable_users(traces, proofs) if batch else frozenset()
    plan = plan_block(number, traces, previous_tree, circuits.blocks.whitelist.root, proven=proven, batchable=batchable)
    if expected is not None:
        check_plan_matches_block(plan, expected)
    run = None
    jobs = plan_jobs(plan, proofs)

    def on_event(event: ProgressEvent) -> None:
        if event.key is not None and event.status == "ok" and on_proof is not None:
            on_proof(event.key, event.value)
        if progress is not None:
            progress(event)

    if jobs:
        run = (executor or LocalExecutor(1, in_process=True)).run(jobs, progress=on_event)
        proofs.update(run.results)
        if run.failures:
            reasons = "; ".join(f"{k}: {r}" for k, r in sorted(run.failures.items()))
            raise BlockProvingError(f"block {number} could not be proven: {reasons}")
    proof = proof_from_bytes(proofs[BLOCK_NODE])
    if tuple(plan.statement.elements()) != proof.public_inputs:
        raise BlockProvingError(f"block {number}: the proof's statement differs from the planned one")
    return BlockProof(plan, proof, proofs, run)


class ProofReuse(enum.Enum):
    """Which of a block's stored proofs :func:`prove_stored_block` resumes from."""

    STORED = "stored"
    """Every stored proof, unchecked (they were made by this process's circuits)."""
    VERIFIED = "verified"
    """Only the stored proofs that verify under the current circuits' keys and carry their whitelist root."""


DiscardedProof = Callable[[int, str, str], None]
"""Told ``(block number, node, reason)`` for each stored proof that is not reused."""


def verified_proofs(
    number: int, stored: dict[str, bytes], on_discarded: DiscardedProof | None = None
) -> dict[str, bytes]:
    """The stored proofs (node -> bytes) of block ``number`` that verify under the current circuits.

    A node's proof must verify under its key (the block key for ``block``, else the
    session or aggregation key its level names) and end with the current whitelist
    root, which every proof of the tree exposes as its last four public inputs.
    """
    circuits = rollup_circuits()
    valid: dict[str, bytes] = {}
    for node, data in sorted(stored.items()):
        try:
            proof = proof_from_bytes(data)
            vk = circuits.block_verifier_key if node == BLOCK_NODE else circuits.child(proof).vk
            verify_proof(vk, proof.proof, proof.public_inputs)
            if tuple(proof.public_inputs[-4:]) != tuple(circuits.blocks.whitelist.root):
                raise ValueError("it was made for another whitelist of circuits")
        except (FormatError, VerificationError, ValueError, IndexError) as exc:
            if on_discarded is not None:
                on_discarded(number, node, str(exc))
            continue
        valid[node] = data
    return valid


def prove_stored_block(
    storage: Storage,
    number: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
    *,
    reuse: ProofReuse = ProofReuse.STORED,
    on_discarded: DiscardedProof | None = None,
    batch: bool = True,
) -> BlockProof:
    """Prove a finalized block from storage, resuming from (and storing) its proofs as they exist.

    ``reuse`` says which stored proofs are taken as done; with ``ProofReuse.VERIFIED``
    each one that fails its check is reported to ``on_discarded``, proven again and
    overwritten when the new proof is stored; ``batch`` is :func:`prove_block`'s.
    """
    if not GENESIS_HEIGHT < number <= storage.latest_block_number():
        raise BlockProvingError(f"no block {number} (latest is {storage.latest_block_number()})")
    inputs = stored_block_inputs(storage, number)
    done = storage.block_proofs(number)
    if reuse is ProofReuse.VERIFIED:
        done = verified_proofs(number, done, on_discarded)
    return prove_block(
        number,
        inputs.traces,
        inputs.before.global_tree,
        executor,
        done=done,
        on_proof=lambda node, proof: storage.write_proof(number, node, proof),
        progress=progress,
        expected=storage.block(number),
        proven=inputs.proven,
        batch=batch,
    )


@dataclass(frozen=True)
class StoredBlockInputs:
    """What proving a stored block starts from: the state before it, the traces of the sessions the operator
    proves (re-executed from the stored sessions) and the statements of those their users proved."""

    before: ChainState
    traces: list[SessionTrace]
    proven: list[NodeStatement]


def stored_block_inputs(storage: Storage, number: int, verify: bool = True) -> StoredBlockInputs:
    """The :class:`StoredBlockInputs` of finalized block ``number``: a session of its public data without a
    stored session was proven by its user, and its statement follows from that data, the user's old leaf and
    the previous root (:func:`~rollup.block_plan.public_session_statement`)."""
    before = storage.load_state(number - 1, verify=verify)
    traces = [execute_session(before, session).trace for session in storage.block_sessions(number)]
    executed = {trace.user_id for trace in traces}
    proven = [
        public_session_statement(entry, before.leaf(entry.user_id), before.root)
        for entry in storage.block(number).public_data
        if entry.user_id not in executed
    ]
    return StoredBlockInputs(before, traces, proven)
