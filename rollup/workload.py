"""Synthetic, reproducible workloads: many users and random transfers between them.

Used to time the re-execution baseline and, later, block proving; claims
follow with :func:`rollup.session.claim_sessions`. The keys are throw-away
random keys in a :class:`rollup.keys.KeyRing` (delegated proving: the
benchmark plays every user).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from rollup.keys import KeyRing
from rollup.session import Session, SessionBuilder
from rollup.state import ChainState


def registration_sessions(
    state: ChainState, user_ids: Iterable[int], deposit: int, keys: KeyRing[int]
) -> list[Session]:
    """One registration session per user, each depositing ``deposit``, under the user's key in ``keys``."""
    return [SessionBuilder(state, user, keys.secret(user)).register(deposit).build() for user in user_ids]


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
