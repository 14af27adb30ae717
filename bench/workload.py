"""Benchmark blocks: T send transactions in sessions of at most SESSION_SLOTS (66) operations, on a fresh chain.

A block of T transactions has ``ceil(T / ops_per_session)`` senders; sender i
makes up to ``ops_per_session`` sends to the next registered user, so every
session but the last is full. User ids are spread over the global tree
(deterministic sample), as real users would be, so aggregation climbs over
untouched siblings. Block 1 registers every user (the sender set plus one
recipient); block 2 is the measured block. The keys are throw-away random keys
(:class:`rollup.keys.KeyRing`): the benchmark proves for every user (delegated proving).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from rollup.keys import KeyRing
from rollup.params import GLOBAL_TREE_DEPTH, SESSION_SLOTS
from rollup.sequencer import Sequencer
from rollup.session import Session, SessionBuilder
from rollup.state import ChainState
from rollup.witness import SessionTrace
from rollup.workload import register_users

DEPOSIT = 1_000_000


@dataclass
class SendBlock:
    """A chain whose next block would apply ``sessions`` (the measured block) to ``state``."""

    sequencer: Sequencer
    sessions: list[Session]
    transactions: int
    keys: KeyRing[int]
    """Every user's throw-away key (to build the recipients' claims after the block)."""

    @property
    def state(self) -> ChainState:
        return self.sequencer.state

    def finalize(self) -> list[SessionTrace]:
        """Submit the sessions and build the block; return its traces (the state before stays in storage)."""
        traces = [self.sequencer.submit(session) for session in self.sessions]
        self.sequencer.build_block()
        return traces


def session_sizes(transactions: int, ops_per_session: int = SESSION_SLOTS) -> list[int]:
    """Operations per session: full sessions, then the remainder."""
    if transactions < 1:
        raise ValueError("a benchmark block needs at least one transaction")
    full, rest = divmod(transactions, ops_per_session)
    return [ops_per_session] * full + ([rest] if rest else [])


def send_block(transactions: int, ops_per_session: int = SESSION_SLOTS, seed: int = 2024) -> SendBlock:
    """A fresh in-memory chain with registered users and the sessions of a ``transactions``-send block."""
    sizes = session_sizes(transactions, ops_per_session)
    senders = len(sizes)
    users = sorted(random.Random(seed).sample(range(1, 1 << GLOBAL_TREE_DEPTH), senders + 1))
    sequencer = Sequencer.in_memory()
    keys: KeyRing[int] = KeyRing()
    register_users(sequencer, users, DEPOSIT, keys)
    state = sequencer.state
    sessions = []
    for i, ops in enumerate(sizes):
        sender, recipient = users[i], users[i + 1]
        builder = SessionBuilder(state, sender, keys.secret(sender))
        for k in range(ops):
            builder.send(recipient, 1 + k % 7)
        sessions.append(builder.build())
    assert sum(len(s.operations) for s in sessions) == transactions
    assert len(sessions) == math.ceil(transactions / ops_per_session)
    return SendBlock(sequencer, sessions, transactions, keys)
