"""Soundness of the user-session circuit, tested with malicious traces built directly.

Every forged trace here is handed straight to the circuit
(``SessionCircuit.generate_witness`` / ``prove``): no Python rule runs before
the circuit, so each rejection is the circuit's own. ``ForgingBuilder`` builds
session traces from a finalized chain state with no checks at all, so a test
can make exactly one thing wrong; what a trace cannot express (a disabled slot
before an enabled one, a deposit without a registration) is forged in the
circuit's input values. Where a cheating prover completes the wires itself, the
prover's own self-checks are switched off (``cheating_prove``) and the verifier
must reject the proof.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from keys_support import NAMED_KEYS, SEED_KEYS
from tests_support import cheating_prove, session_circuit_of, set_everywhere

from circuits.witness import Target, Witness
from rollup.block import ExecutedBlock
from rollup.block_plan import NodeStatement, session_statement
from rollup.circuits.assignment import set_operation_slot, set_padding_slot
from rollup.circuits.labels import SessionRuleError
from rollup.circuits.operations import SlotTargets
from rollup.circuits.session import SessionCircuit
from rollup.errors import MalformedSessionError, SessionTooLargeError
from rollup.operations import Claim, Register, Send
from rollup.outbox import TransferRecord
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, MAX_AMOUNT_BITS, OUTBOX_DEPTH
from rollup.seed import SEED_USERS, run_seed_scenario
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.slot_layout import SlotLayout
from rollup.smt import DEFAULT_DIGESTS, EMPTY_LEAF, SparseMerkleTree
from rollup.state import CLAIMED_LEAF, ChainState, UserState, claim_key, key_digest
from rollup.witness import ClaimStep, RegisterStep, SenderProof, SendStep, SessionTrace, Step
from verifier.field import P
from verifier.hashing import Digest, hash_elements
from verifier.merkle import default_digests
from verifier.plonk import VerificationError

SAM, JACK, KATE, KIM = (SEED_USERS[name] for name in ("Sam", "Jack", "Kate", "Kim"))
SECRETS = {user: NAMED_KEYS.secret(name) for name, user in SEED_USERS.items()}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[list[ChainState], list[ExecutedBlock]]]:
    """The seed scenario; states[i] is the finalized state after blocks[i] (reloaded from storage)."""
    sequencer = Sequencer.in_memory()
    blocks = run_seed_scenario(sequencer, SEED_KEYS)
    states = [sequencer.storage.load_state(item.block.number) for item in blocks]
    yield states, blocks
    sequencer.close()


@pytest.fixture(scope="module")
def one_slot() -> SessionCircuit:
    return session_circuit_of(SlotLayout.of_any(1))


@pytest.fixture(scope="module")
def four_slots() -> SessionCircuit:
    return session_circuit_of(SlotLayout.of_any(4))


@pytest.fixture(scope="module", params=[SlotLayout.of_any(1), SlotLayout.of_sends(1)], ids=lambda x: x.label)
def one_sender(request: pytest.FixtureRequest) -> SessionCircuit:
    """A one-slot circuit of each kind: the send rules hold in both."""
    return session_circuit_of(request.param)


@pytest.fixture(
    scope="module", params=[SlotLayout.of_any(4), SlotLayout.of_sends(4), SlotLayout(1, 3)], ids=lambda x: x.label
)
def four_senders(request: pytest.FixtureRequest) -> SessionCircuit:
    """A four-slot circuit of each kind, and a mixed one (a slot of any kind, then three send-only slots: a
    session's second send is in a send-only slot)."""
    return session_circuit_of(request.param)


class ForgingBuilder:
    """Builds a SessionTrace for ``user`` reading ``state``, applying operations with NO rule checks.

    Each operation takes its defaults from the honest values (next nonce, next
    outbox slot, the sender's real record and proofs) and any of them can be
    overridden to forge exactly one thing. The circuit reads the operations,
    records, paths and sender proofs of a trace, and a send's index (its
    recorded old ``outbox_len``); the other recorded states are the user's
    state before the session, and the new leaf is left empty (the circuit
    computes it).
    """

    def __init__(self, state: ChainState, user: int, secret: tuple[int, ...] | None = None) -> None:
        self.state = state
        self.user = user
        self.secret = SECRETS[user] if secret is None else secret
        tree = state.users[user]
        self.old = tree.state()
        self.nonce = tree.nonce
        self.outbox_len = tree.outbox.length
        self.outbox = tree.outbox.tree.copy()
        self.claimed = tree.claimed.copy()
        self.steps: list[Step] = []

    def send(
        self,
        recipient: int,
        amount: int,
        /,
        *,
        address: Digest | None = None,
        index: int | None = None,
        nonce: int | None = None,
        own_path: tuple[Digest, ...] | None = None,
    ) -> ForgingBuilder:
        index = self.outbox_len if index is None else index
        nonce = self.nonce + 1 if nonce is None else nonce
        path = self.outbox.siblings(index % (1 << 16)) if own_path is None else own_path
        before = dataclasses.replace(self.old, outbox_len=index)
        if address is None:
            registered = self.state.users.get(recipient)
            address = registered.key_digest if registered is not None else EMPTY_LEAF
        self.steps.append(SendStep(Send(recipient, address, amount, nonce), before, before, path))
        self.outbox.set_leaf(index % (1 << 16), TransferRecord(recipient, address, amount % P, index).digest())
        self.outbox_len += 1
        self.nonce = nonce
        return self

    def claim(
        self,
        sender_id: int,
        index: int,
        /,
        *,
        source: ChainState | None = None,
        nonce: int | None = None,
        forged_sender_id: int | None = None,
        forged_index: int | None = None,
        recipient: int | None = None,
        address: Digest | None = None,
        amount: int | None = None,
        own_path: tuple[Digest, ...] | None = None,
        sender_outbox_root: Digest | None = None,
        sender_opaque_digest: Digest | None = None,
        sender_outbox_path: tuple[Digest, ...] | None = None,
    ) -> ForgingBuilder:
        source = self.state if source is None else source
        sender = source.users[sender_id]
        record = (
            sender.outbox.records[index]
            if index < sender.outbox.length
            else TransferRecord(self.user, key_digest(self.secret), 0, index)
        )
        record = TransferRecord(
            record.recipient if recipient is None else recipient,
            record.address if address is None else address,
            record.amount if amount is None else amount,
            record.index,
        )
        key = claim_key(sender_id, index)
        proof = SenderProof(
            sender.outbox.root if sender_outbox_root is None else sender_outbox_root,
            sender.opaque_digest() if sender_opaque_digest is None else sender_opaque_digest,
            sender.outbox.tree.siblings(index) if sender_outbox_path is None else sender_outbox_path,
            source.global_tree.siblings(sender_id),
        )
        op = Claim(
            sender_id if forged_sender_id is None else forged_sender_id,
            index if forged_index is None else forged_index,
            self.nonce + 1 if nonce is None else nonce,
        )
        path = self.claimed.siblings(key) if own_path is None else own_path
        self.steps.append(ClaimStep(op, record, proof, self.old, self.old, path))
        self.claimed.set_leaf(key, CLAIMED_LEAF)
        self.nonce = op.nonce
        return self

    def build(self) -> SessionTrace:
        return SessionTrace(
            user_id=self.user,
            read_root=self.state.root,
            secret=self.secret,
            old_leaf=self.state.leaf(self.user),
            old_state=self.old,
            steps=tuple(self.steps),
            new_outbox_root=EMPTY_LEAF,
            new_opaque_digest=EMPTY_LEAF,
        )


def with_deposit(registration: SessionTrace, deposit: int) -> SessionTrace:
    """The registering trace with another deposit."""
    first = registration.steps[0]
    assert isinstance(first, RegisterStep)
    return dataclasses.replace(
        registration, steps=(RegisterStep(Register(deposit), first.new), *registration.steps[1:])
    )


def public_value(circuit: SessionCircuit, w: Witness) -> NodeStatement:
    return NodeStatement.from_elements([w.get(t) for t in circuit.targets.public_inputs()])


def assert_unprovable(
    circuit: SessionCircuit, trace: SessionTrace, rule: str, statement: NodeStatement | None = None
) -> None:
    """Proving fails, and the circuit names ``rule`` (a substring of the violated check's label) as the reason."""
    with pytest.raises(SessionRuleError) as info:
        circuit.prove(trace, statement)
    assert info.value.rule is not None and rule in info.value.rule, info.value


def assert_inputs_unprovable(circuit: SessionCircuit, inputs: dict[Target, int], rule: str) -> None:
    """Witness generation from forged input values fails, and the labelled re-run names ``rule``."""
    with pytest.raises(ValueError):
        circuit.data.generate_witness(inputs)
    found = circuit.violated_rule(inputs)
    assert found is not None and rule in found, found


OUTBOX = "slot 0: claim: the record is in the sender's outbox"
EMPTY_SLOT = "slot 0: send: the outbox slot is empty"


def flip(digest: Digest) -> Digest:
    return ((digest[0] + 1) % P, *digest[1:])  # type: ignore[return-value]


# --------------------------------------------------------------------------- gadgets and plain data


def test_circuit_size_and_the_rollup_sizes_it_assumes() -> None:
    with pytest.raises(ValueError):
        SessionCircuit.build(SlotLayout.of_any(0))
    # claim keys pack both ids; index bits come from one split_le; b + a never wraps modulo p
    assert CLAIMED_DEPTH == GLOBAL_TREE_DEPTH + OUTBOX_DEPTH
    assert 0 < GLOBAL_TREE_DEPTH <= 63 and 0 < OUTBOX_DEPTH <= 63
    assert 0 < MAX_AMOUNT_BITS <= 62
    assert CLAIMED_LEAF != EMPTY_LEAF
    assert default_digests(36) == DEFAULT_DIGESTS[:37]


def test_statement_round_trip() -> None:
    statement = NodeStatement(0, 3, (1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16))
    assert statement.elements() == [0, 3, *range(1, 17)]
    assert NodeStatement.from_elements(statement.elements()) == statement
    with pytest.raises(ValueError):
        NodeStatement.from_elements(statement.elements()[:-1])


def test_forging_builder_reproduces_honest_witnesses(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit, four_slots: SessionCircuit
) -> None:
    """Control: with no override, ForgingBuilder yields exactly the honest (provable) witness."""
    states, blocks = chain
    kim_send = next(item.trace for item in blocks[1].sessions if item.trace.user_id == KIM)
    forged = ForgingBuilder(states[0], KIM).send(KATE, 10).build()
    assert one_slot.inputs(forged) == one_slot.inputs(kim_send)
    jack_claims = next(item.trace for item in blocks[2].sessions if item.trace.user_id == JACK)
    forged = ForgingBuilder(states[1], JACK).claim(SAM, 0).claim(KATE, 0).build()
    assert four_slots.inputs(forged) == four_slots.inputs(jack_claims)


def test_session_proof_with_a_cheating_prover_harness_control(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """Control for the cheating prover: with an honest witness its proof is accepted."""
    _, blocks = chain
    trace = next(item.trace for item in blocks[1].sessions if item.trace.user_id == KIM)
    w = one_slot.generate_witness(trace, session_statement(trace))
    proof = cheating_prove(one_slot, w)
    assert one_slot.verify(proof) == session_statement(trace)
    with pytest.raises(ValueError, match="level"):
        one_slot.statement(dataclasses.replace(proof, public_inputs=(1, *proof.public_inputs[1:])))


# --------------------------------------------------------------------------- invariants


def test_overdraft(chain: tuple[list[ChainState], list[ExecutedBlock]], one_sender: SessionCircuit) -> None:
    states, _ = chain
    kim = states[0].users[KIM]
    assert kim.balance == 100
    one_sender.generate_witness(ForgingBuilder(states[0], KIM).send(KATE, 100).build())  # the boundary is fine
    assert_unprovable(one_sender, ForgingBuilder(states[0], KIM).send(KATE, 101).build(), "slot 0: new balance")
    assert_unprovable(one_sender, ForgingBuilder(states[0], KIM).send(KATE, 1 << 47).build(), "slot 0: new balance")


def test_overdraft_by_a_cheating_prover_is_rejected(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_sender: SessionCircuit
) -> None:
    """The cheater takes an honest send of 10 and makes it a send of 150 in every wire that copies the amount."""
    states, _ = chain
    w = one_sender.generate_witness(ForgingBuilder(states[0], KIM).send(KATE, 10).build())
    set_everywhere(one_sender, w, one_sender.targets.slots[0].amount, 150)
    with pytest.raises(VerificationError):
        one_sender.verify(cheating_prove(one_sender, w))


def test_amount_out_of_range(chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit) -> None:
    states, blocks = chain
    # a "negative" amount would credit the sender: p - 1 is not below 2^48
    assert_unprovable(one_slot, ForgingBuilder(states[0], KIM).send(KATE, -1).build(), "slot 0: amount <")
    assert_unprovable(one_slot, ForgingBuilder(states[0], KIM).send(KATE, 1 << 48).build(), "slot 0: amount <")
    # a deposit out of range
    registration = next(item.trace for item in blocks[0].sessions if item.trace.user_id == KIM)
    one_slot.generate_witness(with_deposit(registration, (1 << 48) - 1))
    assert_unprovable(one_slot, with_deposit(registration, 1 << 48), "< 2^max_amount_bits")
    # recipient and sender ids are range-checked (else claim keys could collide)
    assert_unprovable(one_slot, ForgingBuilder(states[0], KIM).send(1 << 20, 10).build(), "slot 0: recipient id")
    assert_unprovable(
        one_slot,
        ForgingBuilder(states[1], JACK).claim(SAM, 0, forged_sender_id=SAM + (1 << 20)).build(),
        "slot 0: sender id",
    )


def test_double_claim_across_blocks(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """After block 2 Jack's claimed set holds (Sam, 0); claiming it again with an honest path fails."""
    states, _ = chain
    one_slot.generate_witness(ForgingBuilder(states[1], JACK).claim(SAM, 0).build())  # control: first claim
    assert states[2].users[JACK].has_claimed(SAM, 0)
    assert_unprovable(one_slot, ForgingBuilder(states[2], JACK).claim(SAM, 0).build(), "slot 0: claim: not claimed yet")


def test_double_claim_within_a_session(
    chain: tuple[list[ChainState], list[ExecutedBlock]], four_slots: SessionCircuit
) -> None:
    states, _ = chain
    four_slots.generate_witness(ForgingBuilder(states[1], JACK).claim(SAM, 0).claim(KATE, 0).build())
    assert_unprovable(
        four_slots,
        ForgingBuilder(states[1], JACK).claim(SAM, 0).claim(SAM, 0).build(),
        "slot 1: claim: not claimed yet",
    )
    # same record, second time with the empty-set path (lying about the claimed set) also fails
    builder = ForgingBuilder(states[1], JACK).claim(SAM, 0)
    first = builder.steps[0]
    assert isinstance(first, ClaimStep)
    builder.claim(SAM, 0, own_path=first.claimed_path)
    assert_unprovable(four_slots, builder.build(), "slot 1: claim: not claimed yet")


def test_claim_of_another_users_transfer(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """Sam's record 0 is addressed to Jack; Kim tries to claim it."""
    states, _ = chain
    assert states[1].users[SAM].outbox.records[0].recipient == JACK
    assert_unprovable(one_slot, ForgingBuilder(states[1], KIM).claim(SAM, 0).build(), "recipient and address")
    assert_unprovable(
        one_slot, ForgingBuilder(states[1], KIM).claim(SAM, 0, recipient=KIM).build(), "in the sender's outbox"
    )
    kim_address = key_digest(SECRETS[KIM])
    forged = ForgingBuilder(states[1], KIM).claim(SAM, 0, recipient=KIM, address=kim_address).build()
    assert_unprovable(one_slot, forged, "in the sender's outbox")


def test_a_transfer_cannot_be_claimed_by_another_key_registering_its_id_later(one_slot: SessionCircuit) -> None:
    """Sam sends to id 9 at the address of key H before id 9 is registered; key S registers id 9.

    S's claim names the right id but not S's key: unprovable; rewriting the address to S's key changes the
    record, which is then not the one in Sam's outbox.
    """
    holder, squatter, late = NAMED_KEYS.secret("holder of 9"), NAMED_KEYS.secret("squatter of 9"), 9
    with Sequencer.in_memory() as sequencer:
        sequencer.submit(SessionBuilder(sequencer.state, SAM, SECRETS[SAM]).register(100).build())
        sequencer.build_block()
        sam = SessionBuilder(sequencer.state, SAM, SECRETS[SAM])
        sequencer.submit(sam.send(late, 40, address=key_digest(holder)).build())
        sequencer.build_block()
        sequencer.submit(SessionBuilder(sequencer.state, late, squatter).register(0).build())
        sequencer.build_block()
        state = sequencer.state
    assert state.users[SAM].outbox.records[0].recipient == late
    assert_unprovable(one_slot, ForgingBuilder(state, late, squatter).claim(SAM, 0).build(), "recipient and address")
    rewritten = ForgingBuilder(state, late, squatter).claim(SAM, 0, address=key_digest(squatter)).build()
    assert_unprovable(one_slot, rewritten, OUTBOX)


def test_claim_against_a_root_that_is_not_the_read_root(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """In block 1 (read root R_0) Jack claims Sam's record 0, sent in block 1 itself: its proofs exist only
    under R_1. With read root R_0 the claim cannot be proven; with R_1 it can, but then the statement's
    read root is R_1 and the aggregation (which requires R_0 = the previous root) rejects the session."""
    states, _ = chain
    early = ForgingBuilder(states[0], JACK).claim(SAM, 0, source=states[1]).build()
    assert early.read_root == states[0].root
    assert_unprovable(one_slot, early, "slot 0: claim: the sender's leaf is under the read root")
    late = one_slot.generate_witness(dataclasses.replace(early, read_root=states[1].root))
    assert public_value(one_slot, late).read_root == states[1].root != states[0].root
    # an opaque digest that is not the one under the read root (of an inflated balance) fails too
    sam = states[1].users[SAM]
    forged_opaque = dataclasses.replace(sam.state(), balance=sam.balance + 1000).opaque_digest(sam.key_digest)
    assert_unprovable(
        one_slot,
        ForgingBuilder(states[1], JACK).claim(SAM, 0, sender_opaque_digest=forged_opaque).build(),
        "under the read root",
    )


def test_wrong_secret_key(chain: tuple[list[ChainState], list[ExecutedBlock]], one_sender: SessionCircuit) -> None:
    """Sam tries to spend Kim's balance with his own secret."""
    states, blocks = chain
    trace = next(item.trace for item in blocks[1].sessions if item.trace.user_id == KIM)
    statement = session_statement(trace)
    one_sender.generate_witness(trace, statement)
    forged = dataclasses.replace(trace, secret=SECRETS[SAM])
    with pytest.raises(SessionRuleError):
        one_sender.prove(forged, statement)
    # without a statement to match, the proof would be about another (non-existent) old leaf
    w = one_sender.generate_witness(forged)
    assert public_value(one_sender, w).old_root != states[0].leaf(KIM)
    # claiming only Kim's old leaf (the rest as the forged witness computes it) fails at the authorization
    only_the_old_leaf = dataclasses.replace(public_value(one_sender, w), old_root=statement.old_root)
    assert_unprovable(one_sender, forged, "old leaf = leaf(H(secret), old_state) (authorization)", only_the_old_leaf)
    # a cheating prover writing Kim's old leaf into the public inputs is rejected
    for target, value in zip(one_sender.targets.old_leaf, statement.old_root, strict=True):
        set_everywhere(one_sender, w, target, value)
    with pytest.raises(VerificationError):
        one_sender.verify(cheating_prove(one_sender, w))


def test_nonce_replay(chain: tuple[list[ChainState], list[ExecutedBlock]], four_senders: SessionCircuit) -> None:
    states, _ = chain
    nonce = states[0].users[SAM].nonce
    four_senders.generate_witness(ForgingBuilder(states[0], SAM).send(JACK, 50).send(KIM, 20).build())
    assert_unprovable(four_senders, ForgingBuilder(states[0], SAM).send(JACK, 50, nonce=nonce).build(), "slot 0: nonce")
    assert_unprovable(
        four_senders, ForgingBuilder(states[0], SAM).send(JACK, 50, nonce=nonce + 2).build(), "slot 0: nonce"
    )
    replayed = ForgingBuilder(states[0], SAM).send(JACK, 50).send(KIM, 20, nonce=nonce + 1).build()
    assert_unprovable(four_senders, replayed, "slot 1: nonce")
    # the nonce a session ends with is in the new leaf: a replayed session (same old leaf) cannot reuse it either
    state_after = states[1].users[JACK].state()
    assert state_after.nonce == 1 and ForgingBuilder(states[1], JACK).nonce == 1


def test_altered_outbox_on_claim(chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit) -> None:
    """The record claimed must be the one at its index in the sender's outbox."""
    states, _ = chain
    assert_unprovable(one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 0, amount=51).build(), OUTBOX)
    assert_unprovable(one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 0, forged_index=1).build(), OUTBOX)
    assert_unprovable(
        one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 1, recipient=JACK, amount=20).build(), OUTBOX
    )
    # an empty slot of the sender's outbox
    assert_unprovable(one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 5, recipient=JACK, amount=1).build(), OUTBOX)
    # a fake outbox for Sam with a record of 1000 to Jack: consistent path, but Sam's leaf is not under the read root
    fake = SparseMerkleTree(16)
    record = TransferRecord(JACK, key_digest(SECRETS[JACK]), 1000, 0)
    fake.set_leaf(0, record.digest())
    forged = ForgingBuilder(states[1], JACK).claim(
        SAM, 0, amount=1000, sender_outbox_root=fake.root, sender_outbox_path=fake.siblings(0)
    )
    assert_unprovable(one_slot, forged.build(), "under the read root")


def test_altered_outbox_on_send(
    chain: tuple[list[ChainState], list[ExecutedBlock]], four_senders: SessionCircuit
) -> None:
    """A send must append at outbox_len into an empty slot, along a true path."""
    states, _ = chain
    sam = states[1].users[SAM]
    assert sam.outbox.length == 2
    four_senders.generate_witness(ForgingBuilder(states[1], SAM).send(JACK, 1).build())
    # overwrite record 0 (a record already sent, perhaps not claimed yet)
    assert_unprovable(four_senders, ForgingBuilder(states[1], SAM).send(JACK, 1, index=0).build(), EMPTY_SLOT)
    # claim to write slot len while using the path of slot 0
    assert_unprovable(
        four_senders,
        ForgingBuilder(states[1], SAM).send(JACK, 1, own_path=sam.outbox.tree.siblings(0)).build(),
        EMPTY_SLOT,
    )
    # skip a slot (index len + 1, with its true empty path)
    assert_unprovable(
        four_senders, ForgingBuilder(states[1], SAM).send(JACK, 1, index=3).build(), "send: index = outbox_len"
    )
    # a path with one wrong sibling
    path = list(sam.outbox.tree.siblings(2))
    path[5] = flip(path[5])
    assert_unprovable(
        four_senders, ForgingBuilder(states[1], SAM).send(JACK, 1, own_path=tuple(path)).build(), EMPTY_SLOT
    )


def test_registration_rules(chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit) -> None:
    states, blocks = chain
    trace = next(item.trace for item in blocks[0].sessions if item.trace.user_id == KIM)
    registration = trace
    statement = session_statement(trace)
    assert statement.old_root == (0, 0, 0, 0)
    one_slot.generate_witness(registration, statement)
    # registering over an existing leaf: the statement's old leaf is Kim's real leaf, the circuit says EMPTY
    existing = dataclasses.replace(statement, old_root=states[0].leaf(KIM))
    assert_unprovable(
        one_slot,
        dataclasses.replace(registration, old_state=states[0].users[KIM].state()),
        "old leaf",
        existing,
    )
    # a deposit outside a registration would mint money (a trace cannot say so: forge the input value)
    spend = one_slot.inputs(ForgingBuilder(states[0], KIM).send(KATE, 10).build())
    one_slot.data.generate_witness(spend)
    spend[one_slot.targets.deposit] = 5
    assert_inputs_unprovable(one_slot, spend, "a deposit only when registering")
    # a registration that starts from a rich state instead of initial(deposit)
    rich = UserState(10**6, 0, 0, DEFAULT_DIGESTS[16], DEFAULT_DIGESTS[36])
    w = one_slot.generate_witness(dataclasses.replace(registration, old_state=rich))
    assert public_value(one_slot, w) == statement  # the old state is ignored: balance = deposit


def test_malformed_slots(chain: tuple[list[ChainState], list[ExecutedBlock]], four_slots: SessionCircuit) -> None:
    states, _ = chain
    honest = ForgingBuilder(states[0], SAM).send(JACK, 50).build()
    four_slots.generate_witness(honest)
    # no operation at all
    assert_unprovable(four_slots, dataclasses.replace(honest, steps=()), "slot 0: at least one operation")
    # a gap: slot 0 disabled, slot 1 enabled (a trace cannot say so: forge the input values)
    gap = four_slots.inputs(honest)
    set_padding_slot(gap, four_slots.targets.slots[0])
    set_operation_slot(gap, four_slots.targets.slots[1], honest.steps[0])
    assert_inputs_unprovable(four_slots, gap, "slot 1: at least one")
    # both kinds at once
    inputs = four_slots.inputs(honest)
    inputs[four_slots.targets.slots[0].is_claim] = 1
    with pytest.raises(ValueError):
        four_slots.data.generate_witness(inputs)
    assert four_slots.violated_rule(inputs) is not None  # the first check to fail depends on generation order
    # a kind selector that is not boolean
    inputs = four_slots.inputs(honest)
    inputs[four_slots.targets.slots[0].is_send] = 2
    with pytest.raises(ValueError):
        four_slots.data.generate_witness(inputs)
    assert four_slots.violated_rule(inputs) is not None
    # a registration in an operation slot
    with pytest.raises(MalformedSessionError):
        four_slots.inputs(
            dataclasses.replace(honest, steps=(*honest.steps, RegisterStep(Register(5), honest.old_state)))
        )


def test_statement_forgery_by_a_cheating_prover(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_sender: SessionCircuit
) -> None:
    """A cheater rewrites the new leaf (say, to one with a larger balance) in the public-input wires."""
    states, _ = chain
    w = one_sender.generate_witness(ForgingBuilder(states[0], KIM).send(KATE, 10).build())
    wanted = UserState(1000, 1, 1, DEFAULT_DIGESTS[16], DEFAULT_DIGESTS[36]).leaf(hash_elements(list(SECRETS[KIM])))
    for target, value in zip(one_sender.targets.new_leaf, wanted, strict=True):
        set_everywhere(one_sender, w, target, value)
    with pytest.raises(VerificationError):
        one_sender.verify(cheating_prove(one_sender, w))


def test_the_data_digest_binds_the_published_data(
    chain: tuple[list[ChainState], list[ExecutedBlock]], four_senders: SessionCircuit
) -> None:
    """The circuit's data digest is the native digest of the session's public data (user, deposit, the
    new leaf's outbox root and opaque digest, every appended record in order), so a record published with
    another amount, recipient or order, or a send left out, gives another digest than the proven one."""
    _, blocks = chain
    sam = next(item.trace for item in blocks[1].sessions if item.trace.user_id == SAM)
    public = sam.public_data()
    assert len(public.appends) == 2 and public.new_leaf == sam.new_leaf
    w = four_senders.generate_witness(sam, session_statement(sam))
    proven = public_value(four_senders, w)
    assert proven.data_root == public.digest() and proven.new_root == public.new_leaf
    first, second = public.appends
    for forged in (
        dataclasses.replace(public, appends=(second, first)),
        dataclasses.replace(public, appends=(first,)),
        dataclasses.replace(public, appends=(dataclasses.replace(first, amount=first.amount + 1), second)),
        dataclasses.replace(public, appends=(dataclasses.replace(first, recipient=KIM), second)),
        dataclasses.replace(public, opaque_digest=flip(public.opaque_digest)),
    ):
        assert forged.digest() != proven.data_root
    # a registration publishes no record: its in-circuit data digest is the native one too
    registration = next(item.trace for item in blocks[0].sessions if item.trace.user_id == SAM)
    assert registration.public_data().appends == ()
    assert public_value(four_senders, four_senders.generate_witness(registration)).data_root == (
        registration.public_data().digest()
    )


def test_single_wires_changed_by_a_cheating_prover_are_rejected(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """One wire changed in a copied input (the claimed amount), a Poseidon2 output (the new leaf), a hash
    feeding the public inputs (the data digest): each cheating proof is rejected."""
    states, _ = chain
    honest = one_slot.generate_witness(ForgingBuilder(states[1], JACK).claim(SAM, 0).build())
    num_wires = one_slot.data.common.config.num_wires
    amount_class = next(m for m in one_slot.data.copy_classes.values() if one_slot.targets.slots[0].amount in m)
    cells = [next(t for t in amount_class if t >= 0), one_slot.targets.new_leaf[0], one_slot.targets.data_digest[0]]
    for cell in cells:
        w = one_slot.generate_witness(ForgingBuilder(states[1], JACK).claim(SAM, 0).build())
        row, column = divmod(cell, num_wires)
        w.wires[column, row] = (int(honest.wires[column, row]) + 1000) % P
        with pytest.raises(VerificationError):
            one_slot.verify(cheating_prove(one_slot, w))


def test_a_claim_against_a_forged_sender_leaf_by_a_cheating_prover_is_rejected(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """The cheater keeps every copy of the sender's outbox root, or of its opaque digest, at a forged value
    (as if Sam's leaf were another one): the sender's leaf no longer climbs to the read root, and the proof
    is rejected."""
    states, _ = chain
    trace = ForgingBuilder(states[1], JACK).claim(SAM, 0).build()
    slot = one_slot.targets.slots[0]
    for forged in (slot.sender_outbox_root, slot.sender_opaque_digest):
        w = one_slot.generate_witness(trace)
        set_everywhere(one_slot, w, forged[0], w.get(forged[0]) + 1)
        with pytest.raises(VerificationError):
            one_slot.verify(cheating_prove(one_slot, w))


def test_a_claim_cannot_pass_through_a_send_only_circuit(chain: tuple[list[ChainState], list[ExecutedBlock]]) -> None:
    """A send-only slot has no claim inputs, so no witness credits anything: a claim trace is refused before any
    witness exists, and a cheater proving a send of Jack's and writing the new leaf of Jack's claim of Sam's
    record 0 (50 more) into the public inputs is rejected."""
    states, _ = chain
    send_only = session_circuit_of(SlotLayout.of_sends(1))
    assert not any(isinstance(slot, SlotTargets) for slot in send_only.targets.slots)
    claim = ForgingBuilder(states[1], JACK).claim(SAM, 0).build()
    any_slot = session_circuit_of(SlotLayout.of_any(1))
    any_slot.generate_witness(claim)  # an honest claim, which a slot of any kind takes
    with pytest.raises(SessionTooLargeError, match="send-only"):
        send_only.generate_witness(claim)
    claimed = public_value(any_slot, any_slot.generate_witness(claim))
    w = send_only.generate_witness(ForgingBuilder(states[1], JACK).send(SAM, 0).build())
    assert public_value(send_only, w).new_root != claimed.new_root
    for target, value in zip(send_only.targets.new_leaf, claimed.new_root, strict=True):
        set_everywhere(send_only, w, target, value)
    with pytest.raises(VerificationError):
        send_only.verify(cheating_prove(send_only, w))
    # a send slot's kind selector is boolean too (2 would debit twice and append at outbox_len + 2)
    inputs = send_only.inputs(ForgingBuilder(states[1], JACK).send(SAM, 1).build())
    inputs[send_only.targets.slots[0].is_send] = 2
    with pytest.raises(ValueError):
        send_only.data.generate_witness(inputs)
    assert send_only.violated_rule(inputs) is not None  # the first check to fail depends on generation order


def test_a_claim_cannot_pass_through_a_send_slot_past_a_mixed_circuits_prefix(
    chain: tuple[list[ChainState], list[ExecutedBlock]],
) -> None:
    """A mixed circuit (a slot of any kind, then a send-only slot) takes Jack's claim of Sam's record 0 before a
    send, not after it: that trace is refused before any witness exists, and a cheater proving two sends and
    writing the new leaf of the send and the claim (50 more) into the public inputs is rejected."""
    states, _ = chain
    mixed = session_circuit_of(SlotLayout(1, 1))
    assert [isinstance(slot, SlotTargets) for slot in mixed.targets.slots] == [True, False]
    mixed.generate_witness(ForgingBuilder(states[1], JACK).claim(SAM, 0).send(SAM, 0).build())
    claim_last = ForgingBuilder(states[1], JACK).send(SAM, 0).claim(SAM, 0).build()
    assert not mixed.holds(claim_last)
    with pytest.raises(SessionTooLargeError, match="send-only"):
        mixed.generate_witness(claim_last)
    any_slots = session_circuit_of(SlotLayout.of_any(2))
    claimed = public_value(any_slots, any_slots.generate_witness(claim_last))
    w = mixed.generate_witness(ForgingBuilder(states[1], JACK).send(SAM, 0).send(SAM, 0).build())
    assert public_value(mixed, w).new_root != claimed.new_root
    for target, value in zip(mixed.targets.new_leaf, claimed.new_root, strict=True):
        set_everywhere(mixed, w, target, value)
    with pytest.raises(VerificationError):
        mixed.verify(cheating_prove(mixed, w))
