"""Synthetic, reproducible workloads: many users and random transfers between them.

:func:`register_users` builds the block that registers a set of users, and
:func:`one_coin_chain` a chain of one-coin blocks (the chain-proof benchmark
and its test).

Used to time the re-execution baseline and, later, block proving; claims
follow with :func:`rollup.session.claim_sessions`. The keys are throw-away
random keys in a :class:`rollup.keys.KeyRing` (delegated proving: the
benchmark plays every user).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from rollup.block import ExecutedBlock
from rollup.keys import KeyRing
from rollup.sequencer import Sequencer
from rollup.session import Session, SessionBuilder
from rollup.state import ChainState


def registration_sessions(
    state: ChainState, user_ids: Iterable[int], deposit: int, keys: KeyRing[int]
) -> list[Session]:
    """One registration session per user, each depositing ``deposit``, under the user's key in ``keys``."""
    return [SessionBuilder(state, user, keys.secret(user)).register(deposit).build() for user in user_ids]


def register_users(sequencer: Sequencer, user_ids: Iterable[int], deposit: int, keys: KeyRing[int]) -> ExecutedBlock:
    """Submit :func:`registration_sessions` to ``sequencer`` and build their block."""
    for session in registration_sessions(sequencer.state, user_ids, deposit, keys):
        sequencer.submit(session)
    return sequencer.build_block()


ONE_COIN_DEPOSIT: int = 100
"""What each of the two users of :func:`one_coin_chain` deposits."""


def one_coin_chain(sequencer: Sequencer, sender: int, recipient: int, height: int, keys: KeyRing[int]) -> None:
    """Blocks 1..``height`` on a fresh ``sequencer``: block 1 registers ``sender`` and ``recipient``
    (``ONE_COIN_DEPOSIT`` each), and each later block holds one send of one coin from sender to recipient."""
    register_users(sequencer, [sender, recipient], ONE_COIN_DEPOSIT, keys)
    for _ in range(height - 1):
        sequencer.submit(SessionBuilder(sequencer.state, sender, keys.secret(sender)).send(recipient, 1).build())
        sequencer.build_block()


def random_send_sessions(state: ChainState, transfers: int, rng: random.Random, keys: KeyRing[int]) -> list[Session]:
    """``transfers`` random sends between registered users, one session per sender, never overdrawing.

    Each send picks a sender with a positive balance, a different recipient and
    an amount in [1, max(1, remaining // 4)], so balances drain slowly.
    """
    remaining = {user: tree.balance for user, tree in state.trees().items()}
    if len(remaining) < 2:
        raise ValueError("random transfers need at least two registered users")
    builders: dict[int, SessionBuilder] = {}
    for _ in range(transfers):
        funded = sorted(user for user, balance in remaining.items() if balance > 0)
        if not funded:
            raise ValueError(f"no funded user left for the requested {transfers} transfers")
        sender = rng.choice(funded)
        recipient = rng.choice([user for user in sorted(remaining) if user != sender])
        amount = rng.randint(1, max(1, remaining[sender] // 4))
        remaining[sender] -= amount
        if sender not in builders:
            builders[sender] = SessionBuilder(state, sender, keys.secret(sender))
        builders[sender].send(recipient, amount)
    return [builder.build() for builder in builders.values()]
