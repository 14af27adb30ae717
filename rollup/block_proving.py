"""Proving a block: session proofs in parallel, aggregation up the global tree, the block proof.

Plan. The aggregation tree of a block and every node's statement are computed
natively first (:func:`rollup.block_plan.plan_block`), so the plan is checked
against the block before anything is proven.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from circuits.recursion.aggregation import AggregationScheme, ChildProof
from prover.jobs import Dep, Executor, Job, JobRejected, LocalExecutor, Progress, ProgressEvent, RunResult
from rollup.block import Block
from rollup.block_plan import (
    BLOCK_NODE,
    BlockPlan,
    BlockProvingError,
    PlanNode,
    check_plan_matches_block,
    plan_block,
    session_statement,
    siblings_of,
)
from rollup.circuits.block import BlockCircuits
from rollup.circuits.session import SessionCircuit
from rollup.errors import SessionTooLargeError
from rollup.execution import execute_session
from rollup.params import GLOBAL_TREE_DEPTH, SESSION_SLOTS
from rollup.smt import SparseMerkleTree
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
    """The circuits of the rollup: the session circuit and the block circuits (whitelist, keys)."""

    blocks: BlockCircuits
    session: SessionCircuit

    @property
    def block_verifier_key(self) -> VerifierKey:
        return self.blocks.block.circuit.verifier_key

    def child(self, proof: ProofWithPublicInputs) -> ChildProof:
        """A proof of the tree with the key it verifies under (sessions are the level-0 nodes; an
        aggregation proof's key is the variant's that verifies it, ``aggregation_key_of``)."""
        if proof.public_inputs[0] == 0:
            return ChildProof(proof, self.session.data.verifier_key)
        return ChildProof(proof, self.blocks.aggregation_key_of(proof))


@functools.cache
def rollup_circuits() -> RollupCircuits:
    """Build (once per process) every circuit; the keys are deterministic, so all workers agree."""
    sessions: list[SessionCircuit] = []

    def leaf_keys(scheme: AggregationScheme, shape: CommonData) -> list[VerifierKey]:
        # every proof of the tree has the universal shape (2^13 rows), which fits a
        # SESSION_SLOTS-slot session with room to spare, so one session circuit serves all
        sessions.append(SessionCircuit.build(SESSION_SLOTS, shape.config, tree_shape=shape))
        return [sessions[0].data.verifier_key]

    blocks = BlockCircuits.build(GLOBAL_TREE_DEPTH, leaf_keys)
    return RollupCircuits(blocks, sessions[0])


# ----------------------------------------------------------------------------- jobs (top-level, pure)


def prove_session_job(trace: SessionTrace) -> bytes:
    """A session proof of the block tree."""
    c = rollup_circuits()
    try:
        proof = c.session.prove(trace, session_statement(trace), c.blocks.whitelist.root)
    except SessionTooLargeError as exc:
        raise JobRejected(f"user {trace.user_id}: {exc}") from exc
    return proof_to_bytes(proof)


def aggregate_job(left: bytes, right: bytes, left_siblings: list[Digest], right_siblings: list[Digest]) -> bytes:
    """The aggregation proof of two child nodes."""
    c = rollup_circuits()
    children = [c.child(proof_from_bytes(b)) for b in (left, right)]
    return proof_to_bytes(c.blocks.aggregate(children[0], children[1], left_siblings, right_siblings))


def block_job(top: bytes, siblings: list[Digest], block_number: int) -> bytes:
    """The block proof from the top node of the tree."""
    c = rollup_circuits()
    return proof_to_bytes(c.blocks.prove_block(c.child(proof_from_bytes(top)), siblings, block_number))


def plan_jobs(plan: BlockPlan, done: dict[str, bytes]) -> list[Job]:
    """Jobs for the nodes not already in ``done`` (finished proofs are passed as data)."""
    jobs: list[Job] = []

    def source(node: PlanNode) -> bytes | Dep:
        return done[node.key] if node.key in done else Dep(node.key)

    for node in plan.nodes():
        if node.key in done:
            continue
        if node.children is None:
            assert node.trace is not None
            jobs.append(Job(node.key, prove_session_job, (node.trace,)))
        else:
            left, right = node.children
            args = (
                source(left),
                source(right),
                siblings_of(plan.previous_tree, left.statement),
                siblings_of(plan.previous_tree, right.statement),
            )
            jobs.append(Job(node.key, aggregate_job, args))
    if BLOCK_NODE not in done:
        top = (source(plan.top), siblings_of(plan.previous_tree, plan.top.statement), plan.number)
        jobs.append(Job(BLOCK_NODE, block_job, top))
    # a stored node's ancestors may already be stored too; jobs whose inputs are all stored still run
    return jobs


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
) -> BlockProof:
    """Prove a block from its session traces and the global tree before it.

    ``done`` holds proofs already produced (resumption); ``on_proof`` is told
    each new proof the moment it exists (e.g. to store it, so a crash loses no
    finished proof); ``progress`` also sees every job event; ``expected`` is the
    finalized block the plan must match before anything is proven.
    """
    circuits = rollup_circuits()
    plan = plan_block(number, traces, previous_tree, circuits.blocks.whitelist.root)
    if expected is not None:
        check_plan_matches_block(plan, expected)
    proofs = dict(done or {})
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
) -> BlockProof:
    """Prove a finalized block from storage, resuming from (and storing) its proofs as they exist.

    ``reuse`` says which stored proofs are taken as done; with ``ProofReuse.VERIFIED``
    each one that fails its check is reported to ``on_discarded``, proven again and
    overwritten when the new proof is stored.
    """
    if not GENESIS_HEIGHT < number <= storage.latest_block_number():
        raise BlockProvingError(f"no block {number} (latest is {storage.latest_block_number()})")
    before = storage.load_state(number - 1)
    traces = [execute_session(before, session).trace for session in storage.block_sessions(number)]
    done = storage.block_proofs(number)
    if reuse is ProofReuse.VERIFIED:
        done = verified_proofs(number, done, on_discarded)
    return prove_block(
        number,
        traces,
        before.global_tree,
        executor,
        done=done,
        on_proof=lambda node, proof: storage.write_proof(number, node, proof),
        progress=progress,
        expected=storage.block(number),
    )
