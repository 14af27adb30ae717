"""Soundness of the user-session circuit, tested with malicious witnesses built directly.

Every forged witness here is plain data handed straight to the circuit
(``SessionCircuit.generate_witness`` / ``prove``): no Python rule runs before
the circuit, so each rejection is the circuit's own. ``ForgingBuilder`` builds
session witnesses from a finalized chain state with no checks at all, so a test
can make exactly one thing wrong. Where a cheating prover completes the wires
itself, the prover's own self-checks are switched off (``cheating_prove``) and
the verifier must reject the proof.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import prover.plonk_prover as plonk_prover
from circuits.builder import CircuitBuilder
from circuits.gadgets import (
    assert_digest_equal_if,
    compute_root_from_path_circuit,
    merkle_update_circuit,
    select_digest,
)
from circuits.session import (
    OP_CLAIM,
    OP_SEND,
    PUBLIC_INPUT_LAYOUT,
    SESSION_LEVEL,
    SessionCircuit,
    SessionCircuitShape,
    SessionRuleError,
    SessionStatement,
    SessionWitness,
    SlotWitness,
)
from circuits.witness import Target, Witness
from rollup.block import ExecutedBlock
from rollup.outbox import TransferRecord
from rollup.seed import SEED_USERS, demo_secret, run_seed_scenario
from rollup.sequencer import Sequencer
from rollup.session_proving import session_circuit, session_shape, session_statement, session_witness, state_values
from rollup.smt import DEFAULT_DIGESTS, SparseMerkleTree
from rollup.state import CLAIMED_LEAF, ChainState, UserState, claim_key
from verifier.field import P
from verifier.hashing import Digest, hash_elements
from verifier.merkle import compute_root_from_path, default_digests
from verifier.plonk import VerificationError
from verifier.proof import ProofWithPublicInputs

SAM, JACK, KATE, KIM = (SEED_USERS[name] for name in ("Sam", "Jack", "Kate", "Kim"))
SECRETS = {user: demo_secret(name) for name, user in SEED_USERS.items()}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[list[ChainState], list[ExecutedBlock]]]:
    """The seed scenario; states[n] is the finalized state after block n (reloaded from storage)."""
    sequencer = Sequencer.in_memory()
    blocks = run_seed_scenario(sequencer)
    states = [sequencer.storage.load_state(n) for n in range(len(blocks))]
    yield states, blocks
    sequencer.close()


@pytest.fixture(scope="module")
def one_slot() -> SessionCircuit:
    return session_circuit(1)


@pytest.fixture(scope="module")
def four_slots() -> SessionCircuit:
    return session_circuit(4)


class ForgingBuilder:
    """Builds a SessionWitness for ``user`` reading ``state``, applying operations with NO rule checks.

    Each operation takes its defaults from the honest values (next nonce, next
    outbox slot, the sender's real record and proofs) and any of them can be
    overridden to forge exactly one thing.
    """

    def __init__(self, state: ChainState, user: int, secret: tuple[int, ...] | None = None) -> None:
        self.state = state
        self.user = user
        self.secret = SECRETS[user] if secret is None else secret
        tree = state.users[user]
        self.old = state_values(tree.state())
        self.nonce = tree.nonce
        self.outbox_len = tree.outbox.length
        self.outbox = tree.outbox.tree.copy()
        self.claimed = tree.claimed.copy()
        self.slots: list[SlotWitness] = []

    def send(self, recipient: int, amount: int, /, **overrides: object) -> ForgingBuilder:
        index = int(overrides.pop("index", self.outbox_len))  # type: ignore[call-overload]
        slot = SlotWitness(
            kind=OP_SEND,
            nonce=self.nonce + 1,
            recipient=recipient,
            amount=amount,
            index=index,
            own_path=self.outbox.siblings(index % (1 << 16)),
        )
        slot = dataclasses.replace(slot, **overrides)  # type: ignore[arg-type]
        self.outbox.set_leaf(index % (1 << 16), TransferRecord(recipient, amount % P, index).digest())
        self.outbox_len += 1
        self.nonce = slot.nonce
        self.slots.append(slot)
        return self

    def claim(
        self, sender_id: int, index: int, /, source: ChainState | None = None, **overrides: object
    ) -> ForgingBuilder:
        source = self.state if source is None else source
        sender = source.users[sender_id]
        record = sender.outbox.records[index] if index < sender.outbox.length else TransferRecord(self.user, 0, index)
        key = claim_key(sender_id, index)
        slot = SlotWitness(
            kind=OP_CLAIM,
            nonce=self.nonce + 1,
            recipient=record.recipient,
            amount=record.amount,
            index=index,
            sender_id=sender_id,
            own_path=self.claimed.siblings(key),
            sender_key=sender.key_digest,
            sender_state=state_values(sender.state()),
            sender_outbox_path=sender.outbox.tree.siblings(index),
            sender_global_path=source.global_tree.siblings(sender_id),
        )
        slot = dataclasses.replace(slot, **overrides)  # type: ignore[arg-type]
        self.claimed.set_leaf(key, CLAIMED_LEAF)
        self.nonce = slot.nonce
        self.slots.append(slot)
        return self

    def build(self, **overrides: object) -> SessionWitness:
        witness = SessionWitness(
            user_id=self.user,
            read_root=self.state.root,
            secret=self.secret,
            registers=False,
            deposit=0,
            old_state=self.old,
            slots=tuple(self.slots),
        )
        return dataclasses.replace(witness, **overrides)  # type: ignore[arg-type]


def public_value(circuit: SessionCircuit, w: Witness) -> SessionStatement:
    return SessionStatement.from_public_inputs([w.get(t) for t in circuit.targets.public_inputs()])


def assert_unprovable(
    circuit: SessionCircuit, witness: SessionWitness, rule: str, statement: SessionStatement | None = None
) -> None:
    """Proving fails, and the circuit names ``rule`` (a substring of the violated check's label) as the reason."""
    with pytest.raises(SessionRuleError) as info:
        circuit.prove(witness, statement)
    assert info.value.rule is not None and rule in info.value.rule, info.value


@contextmanager
def prover_without_self_checks(circuit: SessionCircuit) -> Iterator[None]:
    """A cheating prover: ignores a failed permutation product and truncates a non-polynomial quotient."""
    mp = pytest.MonkeyPatch()
    real_prefix = plonk_prover._ext_exclusive_prefix_product
    real_intt = plonk_prover.coset_intt
    cfg = circuit.data.common.config

    def lying_prefix(r0: np.ndarray, r1: np.ndarray, out0: np.ndarray, out1: np.ndarray) -> tuple[int, int]:
        real_prefix(r0, r1, out0, out1)
        return 1, 0

    def truncating_intt(values: np.ndarray, shift: int) -> np.ndarray:
        coeffs = np.array(real_intt(values, shift), copy=True)
        coeffs[cfg.quotient_degree_factor * (len(coeffs) >> cfg.rate_bits) :] = 0
        return coeffs

    mp.setattr(plonk_prover, "_ext_exclusive_prefix_product", lying_prefix)
    mp.setattr(plonk_prover, "coset_intt", truncating_intt)
    try:
        yield
    finally:
        mp.undo()


def cheating_prove(circuit: SessionCircuit, w: Witness) -> ProofWithPublicInputs:
    with prover_without_self_checks(circuit):
        return circuit.data.prove_witness(w)


def set_everywhere(circuit: SessionCircuit, w: Witness, target: Target, value: int) -> None:
    """Overwrite every wire cell copy-constrained to ``target`` (a cheater keeping copies consistent)."""
    cells = next((members for members in circuit.data.copy_classes.values() if target in members), [target])
    for t in cells:
        if t >= 0:
            row, column = divmod(t, circuit.data.common.config.num_wires)
            w.wires[column, row] = value % P


OUTBOX = "slot 0: claim: the record is in the sender's outbox"
EMPTY_SLOT = "slot 0: send: the outbox slot is empty"


def flip(digest: Digest) -> Digest:
    return ((digest[0] + 1) % P, *digest[1:])  # type: ignore[return-value]


# --------------------------------------------------------------------------- gadgets and plain data


def test_merkle_gadgets_match_native() -> None:
    depth = 5
    b = CircuitBuilder()
    index = b.add_virtual_target()
    bits = b.split_le(index, depth)
    siblings = [b.add_virtual_digest() for _ in range(depth)]
    leaf, new_leaf, root = b.add_virtual_digest(), b.add_virtual_digest(), b.add_virtual_digest()
    old_nodes, new_nodes = merkle_update_circuit(b, leaf, new_leaf, bits, siblings)
    assert_digest_equal_if(b, b.one(), compute_root_from_path_circuit(b, leaf, bits, siblings), root)
    chosen = select_digest(b, bits[0], old_nodes[-1], new_nodes[-1])
    b.register_public_inputs([*old_nodes[-1], *new_nodes[-1], *chosen])
    circuit = b.build()
    sib = [tuple(range(4 * k, 4 * k + 4)) for k in range(depth)]
    leaf_v, new_v, i = (1, 2, 3, 4), (5, 6, 7, 8), 0b10011
    old_root = compute_root_from_path(leaf_v, i, sib)  # type: ignore[arg-type]
    new_root = compute_root_from_path(new_v, i, sib)  # type: ignore[arg-type]
    inputs = {index: i} | dict(zip(leaf, leaf_v, strict=True)) | dict(zip(new_leaf, new_v, strict=True))
    inputs |= dict(zip(root, old_root, strict=True))
    for s, v in zip(siblings, sib, strict=True):
        inputs |= dict(zip(s, v, strict=True))
    proof = circuit.prove(inputs)
    assert proof.public_inputs == (*old_root, *new_root, *new_root)
    circuit.verify(proof)
    inputs |= dict(zip(root, flip(old_root), strict=True))
    with pytest.raises(ValueError):
        circuit.generate_witness(inputs)
    assert default_digests(36) == DEFAULT_DIGESTS[:37]


def test_shape_validation() -> None:
    good = session_shape(1)
    for bad in (
        {"num_slots": 0},
        {"claimed_depth": 35},
        {"max_amount_bits": 63},
        {"claimed_leaf": (0, 0, 0, 0)},
    ):
        with pytest.raises(ValueError):
            SessionCircuitShape(**(dataclasses.asdict(good) | bad))  # type: ignore[arg-type]


def test_statement_round_trip() -> None:
    statement = SessionStatement(3, (1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16))
    values = statement.to_public_inputs()
    for name, (offset, length) in PUBLIC_INPUT_LAYOUT.items():
        field_value = SESSION_LEVEL if name == "level" else getattr(statement, name)
        assert values[offset : offset + length] == (field_value if length > 1 else (field_value,))
    assert sum(length for _, length in PUBLIC_INPUT_LAYOUT.values()) == SessionStatement.NUM_PUBLIC_INPUTS
    assert statement.to_public_inputs() == (0, 3, *range(1, 17))
    assert SessionStatement.from_public_inputs(statement.to_public_inputs()) == statement
    with pytest.raises(ValueError):
        SessionStatement.from_public_inputs(statement.to_public_inputs()[:-1])
    with pytest.raises(ValueError, match="level"):
        SessionStatement.from_public_inputs((1, *statement.to_public_inputs()[1:]))


def test_forging_builder_reproduces_honest_witnesses(chain: tuple[list[ChainState], list[ExecutedBlock]]) -> None:
    """Control: with no override, ForgingBuilder yields exactly the honest (provable) witness."""
    states, blocks = chain
    kim_send = next(item.trace for item in blocks[1].sessions if item.trace.user_id == KIM)
    forged = ForgingBuilder(states[0], KIM).send(KATE, 10).build()
    assert forged == session_witness(kim_send, session_shape(1))
    jack_claims = next(item.trace for item in blocks[2].sessions if item.trace.user_id == JACK)
    forged = ForgingBuilder(states[1], JACK).claim(SAM, 0).claim(KATE, 0).build()
    assert forged == session_witness(jack_claims, session_shape(4))


def test_session_proof_with_a_cheating_prover_harness_control(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """Control for the cheating prover: with an honest witness its proof is accepted."""
    _, blocks = chain
    trace = next(item.trace for item in blocks[1].sessions if item.trace.user_id == KIM)
    w = one_slot.generate_witness(session_witness(trace, one_slot.shape), session_statement(trace))
    assert one_slot.verify(cheating_prove(one_slot, w)) == session_statement(trace)


# --------------------------------------------------------------------------- invariants


def test_overdraft(chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit) -> None:
    states, _ = chain
    kim = states[0].users[KIM]
    assert kim.balance == 100
    one_slot.generate_witness(ForgingBuilder(states[0], KIM).send(KATE, 100).build())  # the boundary is fine
    assert_unprovable(one_slot, ForgingBuilder(states[0], KIM).send(KATE, 101).build(), "slot 0: new balance")
    assert_unprovable(one_slot, ForgingBuilder(states[0], KIM).send(KATE, 1 << 47).build(), "slot 0: new balance")


def test_overdraft_by_a_cheating_prover_is_rejected(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """The cheater takes an honest send of 10 and makes it a send of 150 in every wire that copies the amount."""
    states, _ = chain
    w = one_slot.generate_witness(ForgingBuilder(states[0], KIM).send(KATE, 10).build())
    set_everywhere(one_slot, w, one_slot.targets.slots[0].amount, 150)
    with pytest.raises(VerificationError):
        one_slot.verify(cheating_prove(one_slot, w))


def test_amount_out_of_range(chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit) -> None:
    states, blocks = chain
    # a "negative" amount would credit the sender: p - 1 is not below 2^48
    assert_unprovable(one_slot, ForgingBuilder(states[0], KIM).send(KATE, -1).build(), "slot 0: amount <")
    assert_unprovable(one_slot, ForgingBuilder(states[0], KIM).send(KATE, 1 << 48).build(), "slot 0: amount <")
    # a deposit out of range
    registration = next(item.trace for item in blocks[0].sessions if item.trace.user_id == KIM)
    witness = session_witness(registration, one_slot.shape)
    one_slot.generate_witness(dataclasses.replace(witness, deposit=(1 << 48) - 1))
    assert_unprovable(one_slot, dataclasses.replace(witness, deposit=1 << 48), "< 2^max_amount_bits")
    # recipient and sender ids are range-checked (else claim keys could collide)
    assert_unprovable(one_slot, ForgingBuilder(states[0], KIM).send(1 << 20, 10).build(), "slot 0: recipient id")
    assert_unprovable(
        one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 0, sender_id=SAM + (1 << 20)).build(), "slot 0: sender id"
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
    first = builder.slots[0]
    builder.claim(SAM, 0, own_path=first.own_path)
    assert_unprovable(four_slots, builder.build(), "slot 1: claim: not claimed yet")


def test_claim_of_another_users_transfer(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """Sam's record 0 is addressed to Jack; Kim tries to claim it."""
    states, _ = chain
    assert states[1].users[SAM].outbox.records[0].recipient == JACK
    assert_unprovable(one_slot, ForgingBuilder(states[1], KIM).claim(SAM, 0).build(), "recipient is the claimant")
    assert_unprovable(
        one_slot, ForgingBuilder(states[1], KIM).claim(SAM, 0, recipient=KIM).build(), "in the sender's outbox"
    )


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
    # a sender state that is not the one under the read root (inflated balance) fails too
    sam = states[1].users[SAM].state()
    forged_state = state_values(dataclasses.replace(sam, balance=sam.balance + 1000))
    assert_unprovable(
        one_slot,
        ForgingBuilder(states[1], JACK).claim(SAM, 0, sender_state=forged_state).build(),
        "under the read root",
    )


def test_wrong_secret_key(chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit) -> None:
    """Sam tries to spend Kim's balance with his own secret."""
    states, blocks = chain
    trace = next(item.trace for item in blocks[1].sessions if item.trace.user_id == KIM)
    honest = session_witness(trace, one_slot.shape)
    statement = session_statement(trace)
    one_slot.generate_witness(honest, statement)
    forged = dataclasses.replace(honest, secret=SECRETS[SAM])
    assert_unprovable(one_slot, forged, "leaf = H(H(secret)", statement)
    # without a statement to match, the proof would be about another (non-existent) old leaf
    w = one_slot.generate_witness(forged)
    assert public_value(one_slot, w).old_leaf != states[0].leaf(KIM)
    # a cheating prover writing Kim's old leaf into the public inputs is rejected
    for target, value in zip(one_slot.targets.old_leaf, statement.old_leaf, strict=True):
        set_everywhere(one_slot, w, target, value)
    with pytest.raises(VerificationError):
        one_slot.verify(cheating_prove(one_slot, w))


def test_nonce_replay(chain: tuple[list[ChainState], list[ExecutedBlock]], four_slots: SessionCircuit) -> None:
    states, _ = chain
    nonce = states[0].users[SAM].nonce
    four_slots.generate_witness(ForgingBuilder(states[0], SAM).send(JACK, 50).send(KIM, 20).build())
    assert_unprovable(four_slots, ForgingBuilder(states[0], SAM).send(JACK, 50, nonce=nonce).build(), "slot 0: nonce")
    assert_unprovable(
        four_slots, ForgingBuilder(states[0], SAM).send(JACK, 50, nonce=nonce + 2).build(), "slot 0: nonce"
    )
    replayed = ForgingBuilder(states[0], SAM).send(JACK, 50).send(KIM, 20, nonce=nonce + 1).build()
    assert_unprovable(four_slots, replayed, "slot 1: nonce")
    # the nonce a session ends with is in the new leaf: a replayed session (same old leaf) cannot reuse it either
    state_after = states[1].users[JACK].state()
    assert state_after.nonce == 1 and ForgingBuilder(states[1], JACK).nonce == 1


def test_altered_outbox_on_claim(chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit) -> None:
    """The record claimed must be the one at its index in the sender's outbox."""
    states, _ = chain
    assert_unprovable(one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 0, amount=51).build(), OUTBOX)
    assert_unprovable(one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 0, index=1).build(), OUTBOX)
    assert_unprovable(
        one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 1, recipient=JACK, amount=20).build(), OUTBOX
    )
    # an empty slot of the sender's outbox
    assert_unprovable(one_slot, ForgingBuilder(states[1], JACK).claim(SAM, 5, recipient=JACK, amount=1).build(), OUTBOX)
    # a fake outbox for Sam with a record of 1000 to Jack: consistent path, but Sam's leaf is not under the read root
    fake = SparseMerkleTree(16)
    record = TransferRecord(JACK, 1000, 0)
    fake.set_leaf(0, record.digest())
    sam = states[1].users[SAM].state()
    fake_state = state_values(dataclasses.replace(sam, outbox_root=fake.root))
    forged = ForgingBuilder(states[1], JACK).claim(
        SAM, 0, amount=1000, sender_state=fake_state, sender_outbox_path=fake.siblings(0)
    )
    assert_unprovable(one_slot, forged.build(), "under the read root")


def test_altered_outbox_on_send(
    chain: tuple[list[ChainState], list[ExecutedBlock]], four_slots: SessionCircuit
) -> None:
    """A send must append at outbox_len into an empty slot, along a true path."""
    states, _ = chain
    sam = states[1].users[SAM]
    assert sam.outbox.length == 2
    four_slots.generate_witness(ForgingBuilder(states[1], SAM).send(JACK, 1).build())
    # overwrite record 0 (a record already sent, perhaps not claimed yet)
    assert_unprovable(four_slots, ForgingBuilder(states[1], SAM).send(JACK, 1, index=0).build(), EMPTY_SLOT)
    # claim to write slot len while using the path of slot 0
    assert_unprovable(
        four_slots,
        ForgingBuilder(states[1], SAM).send(JACK, 1, own_path=sam.outbox.tree.siblings(0)).build(),
        EMPTY_SLOT,
    )
    # skip a slot (index len + 1, with its true empty path)
    assert_unprovable(
        four_slots, ForgingBuilder(states[1], SAM).send(JACK, 1, index=3).build(), "send: index = outbox_len"
    )
    # a path with one wrong sibling
    path = list(sam.outbox.tree.siblings(2))
    path[5] = flip(path[5])
    assert_unprovable(
        four_slots, ForgingBuilder(states[1], SAM).send(JACK, 1, own_path=tuple(path)).build(), EMPTY_SLOT
    )


def test_registration_rules(chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit) -> None:
    states, blocks = chain
    trace = next(item.trace for item in blocks[0].sessions if item.trace.user_id == KIM)
    registration = session_witness(trace, one_slot.shape)
    statement = session_statement(trace)
    assert statement.old_leaf == (0, 0, 0, 0)
    one_slot.generate_witness(registration, statement)
    # registering over an existing leaf: the statement's old leaf is Kim's real leaf, the circuit says EMPTY
    existing = dataclasses.replace(statement, old_leaf=states[0].leaf(KIM))
    assert_unprovable(
        one_slot,
        dataclasses.replace(registration, old_state=state_values(states[0].users[KIM].state())),
        "old leaf",
        existing,
    )
    # a deposit outside a registration would mint money
    spend = ForgingBuilder(states[0], KIM).send(KATE, 10).build()
    assert_unprovable(one_slot, dataclasses.replace(spend, deposit=5), "a deposit only when registering")
    # a registration that starts from a rich state instead of initial(deposit)
    rich = state_values(UserState(10**6, 0, 0, DEFAULT_DIGESTS[16], DEFAULT_DIGESTS[36]))
    w = one_slot.generate_witness(dataclasses.replace(registration, old_state=rich))
    assert public_value(one_slot, w) == statement  # the old state is ignored: balance = deposit


def test_malformed_slots(chain: tuple[list[ChainState], list[ExecutedBlock]], four_slots: SessionCircuit) -> None:
    states, _ = chain
    honest = ForgingBuilder(states[0], SAM).send(JACK, 50).build()
    four_slots.generate_witness(honest)
    # no operation at all
    assert_unprovable(four_slots, dataclasses.replace(honest, slots=()), "slot 0: at least one operation")
    # a gap: slot 0 disabled, slot 1 enabled
    assert_unprovable(
        four_slots, dataclasses.replace(honest, slots=(SlotWitness(), *honest.slots)), "slot 1: at least one"
    )
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
    with pytest.raises(ValueError):
        four_slots.inputs(dataclasses.replace(honest, slots=(dataclasses.replace(honest.slots[0], kind=3),)))


def test_statement_forgery_by_a_cheating_prover(
    chain: tuple[list[ChainState], list[ExecutedBlock]], one_slot: SessionCircuit
) -> None:
    """A cheater rewrites the new leaf (say, to one with a larger balance) in the public-input wires."""
    states, _ = chain
    w = one_slot.generate_witness(ForgingBuilder(states[0], KIM).send(KATE, 10).build())
    richer = UserState(1000, 1, 1, DEFAULT_DIGESTS[16], DEFAULT_DIGESTS[36]).root()
    wanted = hash_elements([*hash_elements(list(SECRETS[KIM])), *richer])
    for target, value in zip(one_slot.targets.new_leaf, wanted, strict=True):
        set_everywhere(one_slot, w, target, value)
    with pytest.raises(VerificationError):
        one_slot.verify(cheating_prove(one_slot, w))


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
