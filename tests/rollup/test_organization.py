"""High-volume organizations: one owner key, several accounts, one session per account in the same block."""

from __future__ import annotations

import pytest
from keys_support import USER_KEYS

from rollup.errors import AuthorizationError, DuplicateUserError, OverdraftError
from rollup.keys import new_secret
from rollup.organization import Organization, Payment
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder, claim_sessions
from rollup.state import ChainState, key_digest
from rollup.witness import verify_session_trace
from rollup.workload import registration_sessions

OWNER_SECRET = new_secret()
ACCOUNTS = (100, 101, 102)
RECIPIENTS = tuple(range(200, 206))


@pytest.fixture
def organization_chain() -> tuple[Sequencer, Organization]:
    sequencer = Sequencer.in_memory()
    organization = Organization(OWNER_SECRET, ACCOUNTS)
    for session in organization.registration_sessions(sequencer.state, [100, 100, 100]):
        sequencer.submit(session)
    for session in registration_sessions(sequencer.state, RECIPIENTS, 0, USER_KEYS):
        sequencer.submit(session)
    sequencer.build_block()
    return sequencer, organization


def test_accounts_share_one_key(organization_chain: tuple[Sequencer, Organization]) -> None:
    sequencer, organization = organization_chain
    digests = {sequencer.state.user(account).key_digest for account in ACCOUNTS}
    assert digests == {key_digest(OWNER_SECRET)}
    assert organization.total_balance(sequencer.state) == 300


def test_payouts_run_as_parallel_sessions_in_one_block(organization_chain: tuple[Sequencer, Organization]) -> None:
    sequencer, organization = organization_chain
    payments = [Payment(RECIPIENTS[i % len(RECIPIENTS)], 20) for i in range(12)]
    plan = organization.plan_payouts(sequencer.state, payments)
    assert sorted(len(assigned) for assigned in plan.values()) == [4, 4, 4]
    sessions = organization.payout_sessions(sequencer.state, payments)
    assert sorted(s.user_id for s in sessions) == list(ACCOUNTS)
    for session in sessions:
        sequencer.submit(session)
    executed = sequencer.build_block()
    assert executed.block.user_ids == ACCOUNTS
    assert all(verify_session_trace(item.trace) for item in executed.sessions)
    assert organization.total_balance(sequencer.state) == 300 - 240
    assert [sequencer.state.user(a).balance for a in ACCOUNTS] == [20, 20, 20]

    recipient_secrets = {r: USER_KEYS.secret(r) for r in RECIPIENTS}
    for session in claim_sessions(sequencer.state, recipient_secrets):
        sequencer.submit(session)
    sequencer.build_block()
    assert [sequencer.state.user(r).balance for r in RECIPIENTS] == [40] * len(RECIPIENTS)
    assert sequencer.state.known_supply() == 300


def test_plan_spreads_by_affordability(organization_chain: tuple[Sequencer, Organization]) -> None:
    sequencer, organization = organization_chain
    plan = organization.plan_payouts(sequencer.state, [Payment(200, 90), Payment(201, 90), Payment(202, 15)])
    assert {a: [p.amount for p in ps] for a, ps in plan.items()} == {100: [90], 101: [90], 102: [15]}
    with pytest.raises(OverdraftError, match="payment 1 of 101"):
        organization.plan_payouts(sequencer.state, [Payment(200, 5), Payment(201, 101)])


def test_organization_receives_on_every_account(organization_chain: tuple[Sequencer, Organization]) -> None:
    sequencer, organization = organization_chain
    sequencer.submit(SessionBuilder(sequencer.state, 100, OWNER_SECRET).send(101, 30).send(102, 40).build())
    sequencer.build_block()
    sessions = organization.claim_sessions(sequencer.state)
    assert sorted(s.user_id for s in sessions) == [101, 102]
    for session in sessions:
        sequencer.submit(session)
    sequencer.build_block()
    assert [sequencer.state.user(a).balance for a in ACCOUNTS] == [30, 130, 140]


def test_other_keys_cannot_use_organization_accounts(organization_chain: tuple[Sequencer, Organization]) -> None:
    sequencer, _ = organization_chain
    with pytest.raises(AuthorizationError):
        sequencer.submit(SessionBuilder(sequencer.state, 101, USER_KEYS.secret(101)).send(200, 1).build())


def test_accounts_must_be_distinct() -> None:
    with pytest.raises(DuplicateUserError):
        Organization(OWNER_SECRET, (1, 2, 1))
    with pytest.raises(ValueError, match="2 deposits for 3 accounts"):
        Organization(OWNER_SECRET, ACCOUNTS).registration_sessions(ChainState(), [1, 2])
