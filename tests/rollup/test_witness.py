"""Session traces: valid traces verify from their own data; each tampering is caught by the check it breaks."""

from __future__ import annotations

import pickle
from dataclasses import fields, replace

import pytest

from rollup.block import ExecutedBlock
from rollup.errors import (
    AlreadyRegisteredError,
    AuthorizationError,
    DoubleClaimError,
    InvalidWitnessError,
    MalformedSessionError,
    NonceError,
    NotRecipientError,
    OutOfRangeError,
    OverdraftError,
    RollupError,
    UnknownUserError,
)
from rollup.seed import SEED_USERS
from rollup.sequencer import Sequencer
from rollup.smt import EMPTY_LEAF
from rollup.state import leaf_digest
from rollup.witness import ClaimStep, RegisterStep, SendStep, SessionTrace, verify_session_trace
from verifier.hashing import Digest

Run = tuple[Sequencer, list[ExecutedBlock]]


def trace_of(run: Run, block: int, name: str) -> SessionTrace:
    _, blocks = run
    return next(item.trace for item in blocks[block].sessions if item.trace.user_id == SEED_USERS[name])


def with_step(trace: SessionTrace, position: int, step: RegisterStep | SendStep | ClaimStep) -> SessionTrace:
    steps = list(trace.steps)
    steps[position] = step
    return replace(trace, steps=tuple(steps))


def flip(digest: Digest) -> Digest:
    return (digest[0] ^ 1, *digest[1:])  # type: ignore[return-value]


def test_traces_are_plain_picklable_data(seed_run: Run) -> None:
    trace = trace_of(seed_run, 2, "Jack")
    assert pickle.loads(pickle.dumps(trace)) == trace
    verify_session_trace(pickle.loads(pickle.dumps(trace)))


def test_send_trace_records_paths_and_states(seed_run: Run) -> None:
    trace = trace_of(seed_run, 1, "Sam")
    first, second = trace.steps
    assert isinstance(first, SendStep) and isinstance(second, SendStep)
    assert (first.op.recipient, first.op.amount, first.op.nonce) == (SEED_USERS["Jack"], 50, 1)
    assert first.old == trace.old_state and second.old == first.new
    assert (first.old.balance, first.new.balance, second.new.balance) == (100, 50, 30)
    assert (first.new.outbox_len, second.new.outbox_len) == (1, 2)


def test_claim_trace_reads_the_previous_root(seed_run: Run) -> None:
    _, blocks = seed_run
    trace = trace_of(seed_run, 2, "Jack")
    assert trace.read_root == blocks[1].block.new_root
    assert all(isinstance(step, ClaimStep) for step in trace.steps)
    assert sum(step.record.amount for step in trace.steps if isinstance(step, ClaimStep)) == 75


def tampered_sends(trace: SessionTrace) -> list[tuple[SessionTrace, type[RollupError]]]:
    step = trace.steps[0]
    assert isinstance(step, SendStep)
    path = list(step.outbox_path)
    path[3] = flip(path[3])
    return [
        (with_step(trace, 0, replace(step, outbox_path=tuple(path))), InvalidWitnessError),
        (with_step(trace, 0, replace(step, outbox_path=step.outbox_path[:-1])), InvalidWitnessError),
        (with_step(trace, 0, replace(step, new=replace(step.new, balance=step.new.balance + 1))), InvalidWitnessError),
        (with_step(trace, 0, replace(step, op=replace(step.op, amount=step.old.balance + 1))), OverdraftError),
        (with_step(trace, 0, replace(step, op=replace(step.op, amount=-1))), OutOfRangeError),
        (with_step(trace, 0, replace(step, op=replace(step.op, nonce=step.old.nonce))), NonceError),
        (with_step(trace, 0, replace(step, op=replace(step.op, recipient=1 << 40))), OutOfRangeError),
        (with_step(trace, 0, replace(step, old=replace(step.old, nonce=7))), InvalidWitnessError),
        (replace(trace, new_opaque_digest=flip(trace.new_opaque_digest)), InvalidWitnessError),
        (replace(trace, new_outbox_root=flip(trace.new_outbox_root)), InvalidWitnessError),
        (replace(trace, secret=(1, 2, 3, 4)), AuthorizationError),
        (replace(trace, secret=(1, 2, 3)), MalformedSessionError),
        (replace(trace, old_state=replace(step.old, balance=1000)), AuthorizationError),
        (replace(trace, old_leaf=EMPTY_LEAF), UnknownUserError),
        (replace(trace, steps=()), MalformedSessionError),
    ]


def test_tampered_send_traces_are_rejected(seed_run: Run) -> None:
    trace = trace_of(seed_run, 1, "Sam")
    verify_session_trace(trace)
    for tampered, error in tampered_sends(trace):
        with pytest.raises(error):
            verify_session_trace(tampered)


def test_tampered_claim_traces_are_rejected(seed_run: Run) -> None:
    trace = trace_of(seed_run, 2, "Jack")
    step = trace.steps[0]
    assert isinstance(step, ClaimStep)
    sender_path = list(step.sender.global_path)
    sender_path[-1] = flip(sender_path[-1])
    replayed = replace(step, op=replace(step.op, nonce=trace.steps[-1].new.nonce + 1), old=trace.steps[-1].new)
    cases: list[tuple[SessionTrace, type[RollupError]]] = [
        (
            with_step(trace, 0, replace(step, record=replace(step.record, recipient=SEED_USERS["Kim"]))),
            NotRecipientError,
        ),
        (
            with_step(trace, 0, replace(step, record=replace(step.record, address=(1, 2, 3, 4)))),
            NotRecipientError,
        ),
        (
            with_step(trace, 0, replace(step, record=replace(step.record, amount=step.record.amount + 1))),
            InvalidWitnessError,
        ),
        (with_step(trace, 0, replace(step, record=replace(step.record, index=1))), InvalidWitnessError),
        (
            with_step(trace, 0, replace(step, sender=replace(step.sender, global_path=tuple(sender_path)))),
            InvalidWitnessError,
        ),
        (
            with_step(
                trace, 0, replace(step, sender=replace(step.sender, opaque_digest=flip(step.sender.opaque_digest)))
            ),
            InvalidWitnessError,
        ),
        (
            with_step(trace, 0, replace(step, sender=replace(step.sender, outbox_root=flip(step.sender.outbox_root)))),
            InvalidWitnessError,
        ),
        (with_step(trace, 0, replace(step, op=replace(step.op, outbox_index=1 << 16))), OutOfRangeError),
        (replace(trace, read_root=flip(trace.read_root)), InvalidWitnessError),
        (replace(trace, steps=(*trace.steps, replayed)), DoubleClaimError),
        (replace(trace, steps=(*trace.steps, RegisterStep(trace.steps[0].op, step.old))), MalformedSessionError),  # type: ignore[arg-type]
    ]
    verify_session_trace(trace)
    for tampered, error in cases:
        with pytest.raises(error):
            verify_session_trace(tampered)


def test_a_claim_reads_only_the_public_parts_of_the_senders_leaf(seed_run: Run) -> None:
    """The claim's sender evidence is the sender's outbox root, opaque digest and two paths: nothing of
    its balance, nonce, key or claimed set; the leaf is H(outbox root, opaque digest)."""
    sequencer, blocks = seed_run
    trace = trace_of(seed_run, 2, "Jack")
    step = trace.steps[0]
    assert isinstance(step, ClaimStep)
    assert {f.name for f in fields(step.sender)} == {"outbox_root", "opaque_digest", "outbox_path", "global_path"}
    sam = sequencer.storage.load_state(blocks[1].block.number).users[step.op.sender_id]
    assert (step.sender.outbox_root, step.sender.opaque_digest) == (sam.outbox.root, sam.opaque_digest())
    assert leaf_digest(sam.outbox.root, sam.opaque_digest()) == sam.leaf()
    # a forged opaque digest opening the same outbox root and global path is caught by the read-root climb
    richer = replace(sam.state(), balance=sam.balance + 1000).opaque_digest(sam.key_digest)
    forged = with_step(trace, 0, replace(step, sender=replace(step.sender, opaque_digest=richer)))
    with pytest.raises(InvalidWitnessError, match="under the read root"):
        verify_session_trace(forged)


def test_registration_traces(seed_run: Run) -> None:
    trace = trace_of(seed_run, 0, "Kim")
    step = trace.steps[0]
    assert isinstance(step, RegisterStep) and trace.old_state is None and trace.deposit == 100
    verify_session_trace(trace)
    with pytest.raises(AlreadyRegisteredError):
        verify_session_trace(replace(trace, old_leaf=trace_of(seed_run, 1, "Kim").old_leaf))
    with pytest.raises(InvalidWitnessError):
        verify_session_trace(with_step(trace, 0, replace(step, new=replace(step.new, balance=101))))
    with pytest.raises(OutOfRangeError):
        verify_session_trace(with_step(trace, 0, replace(step, op=replace(step.op, deposit=1 << 48))))
