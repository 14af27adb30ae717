"""Balance lines: one user's balance with what it sent, received and has in flight.

For a user ``u`` after a block, over every record of every outbox:

    sent(u)     = sum of the amounts of u's own outbox records
    received(u) = sum of the amounts addressed to u that u has claimed
    incoming(u) = sum of the amounts addressed to u not claimed yet

so for a user registered with balance ``b0`` and no other deposit,
``balance(u) = b0 - sent(u) + received(u)``. For a user proving its own
sessions the state holds only public data: its balance, nonce and claimed set
are private, so its line has ``None`` for them (and for what it received or
has in flight); what it sent is public (its outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rollup.state import ChainState


@dataclass(frozen=True)
class BalanceRow:
    """One registered user's balance line (see the module docstring for the sums)."""

    name: str
    user_id: int
    balance: int | None
    """None for a user proving its own sessions: private."""
    nonce: int | None
    sent: int
    received: int | None
    incoming: int | None
    """Sent to this user and not claimed yet (in flight)."""

    @property
    def private(self) -> bool:
        """True when the user proves its own sessions, so its balance is known only to its wallet."""
        return self.balance is None


def balance_rows(state: ChainState, name_of: Callable[[int], str]) -> list[BalanceRow]:
    """Every registered user's balance line after ``state``, by user id; ``name_of`` names a user id."""
    sent: dict[int, int] = {}
    received: dict[int, int] = {}
    incoming: dict[int, int] = {}
    for transfer in state.sent_transfers():
        amount, recipient = transfer.record.amount, transfer.record.recipient
        sent[transfer.sender_id] = sent.get(transfer.sender_id, 0) + amount
        bucket = received if state.is_claimed(transfer) else incoming
        bucket[recipient] = bucket.get(recipient, 0) + amount
    trees = state.trees()
    rows = []
    for u in sorted(state.users):
        tree = trees.get(u)
        if tree is None:
            rows.append(BalanceRow(name_of(u), u, None, None, sent.get(u, 0), None, None))
        else:
            rows.append(
                BalanceRow(
                    name_of(u), u, tree.balance, tree.nonce, sent.get(u, 0), received.get(u, 0), incoming.get(u, 0)
                )
            )
    return rows
