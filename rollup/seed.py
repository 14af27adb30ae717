"""The seed scenario: four users, six transfers sent in one block and claimed in the next.

Block 0 registers Sam, Jack, Kate and Kim with 100 each. Block 1 holds one
session per sender with its sends (Sam -> Jack 50, Kate -> Jack 25,
Sam -> Kim 20, Kim -> Kate 10, Jack -> Kim 25, Kate -> Sam 15). Block 2 holds
one session per recipient claiming everything addressed to it. Final
balances: Sam 45, Jack 150, Kate 70, Kim 135; total supply stays 400.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table

from rollup.balances import BalanceRow, balance_rows
from rollup.block import ExecutedBlock
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder, claim_sessions
from rollup.state import ChainState, Secret

SEED_USERS: dict[str, int] = {"Sam": 1, "Jack": 2, "Kate": 3, "Kim": 4}
"""Name -> user id."""
SEED_START_BALANCE: int = 100
SEED_TRANSFERS: tuple[tuple[str, str, int], ...] = (
    ("Sam", "Jack", 50),
    ("Kate", "Jack", 25),
    ("Sam", "Kim", 20),
    ("Kim", "Kate", 10),
    ("Jack", "Kim", 25),
    ("Kate", "Sam", 15),
)
"""(sender, recipient, amount), in the order the scenario lists them."""


def run_seed_scenario(sequencer: Sequencer, secrets: Mapping[str, Secret]) -> list[ExecutedBlock]:
    """Run blocks 0 (registrations), 1 (sends, one session per sender) and 2 (claims) on an empty chain.

    ``secrets`` maps each seed name to its user's key (from its wallet, or a
    throw-away :class:`rollup.keys.KeyRing`): the operator proves every session
    (delegated proving).
    """
    for name, user_id in SEED_USERS.items():
        builder = SessionBuilder(sequencer.state, user_id, secrets[name])
        sequencer.submit(builder.register(SEED_START_BALANCE).build())
    blocks = [sequencer.build_block()]
    builders: dict[str, SessionBuilder] = {}
    for sender, recipient, amount in SEED_TRANSFERS:
        if sender not in builders:
            builders[sender] = SessionBuilder(sequencer.state, SEED_USERS[sender], secrets[sender])
        builders[sender].send(SEED_USERS[recipient], amount)
    for builder in builders.values():
        sequencer.submit(builder.build())
    blocks.append(sequencer.build_block())
    by_id = {user_id: secrets[name] for name, user_id in SEED_USERS.items()}
    for session in claim_sessions(sequencer.state, by_id):
        sequencer.submit(session)
    blocks.append(sequencer.build_block())
    return blocks


def seed_balance_rows(state: ChainState) -> list[BalanceRow]:
    """The seed users' balance lines (``rollup.balances``), in the scenario's order."""
    names = {user_id: name for name, user_id in SEED_USERS.items()}
    return [row for row in balance_rows(state, lambda u: names.get(u, str(u))) if row.user_id in names]


def wallet_balance_table(balances: dict[str, int | None]) -> Table:
    """A rich table of each user's final balance as its own wallet reports it, with the total."""
    table = Table(title="Seed scenario balances (from the users' wallets)")
    table.add_column("user")
    table.add_column("start", justify="right")
    table.add_column("final", justify="right")
    for name, balance in balances.items():
        table.add_row(name, str(SEED_START_BALANCE), "?" if balance is None else str(balance))
    table.add_section()
    known = [b for b in balances.values() if b is not None]
    table.add_row("total", str(SEED_START_BALANCE * len(balances)), str(sum(known)))
    return table


def balance_table(rows: list[BalanceRow]) -> Table:
    """A rich table with columns user, start, sent, received, final and a totals line (start = the seed's
    registration balance, so start - sent + received = final)."""
    table = Table(title="Seed scenario balances")
    table.add_column("user")
    for column in ("start", "sent", "received", "final"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(row.name, str(SEED_START_BALANCE), str(row.sent), str(row.received), str(row.balance))
    table.add_section()
    totals = [SEED_START_BALANCE * len(rows)] + [
        sum(getattr(row, f) for row in rows) for f in ("sent", "received", "balance")
    ]
    table.add_row("total", *map(str, totals))
    return table
