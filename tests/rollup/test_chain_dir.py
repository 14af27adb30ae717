"""The chain directory: a user's operations in one block form one session, capped at what one session proof holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollup.chain_dir import ChainDirectory
from rollup.operations import Claim, Send
from rollup.params import AMOUNT_LIMIT, MIXED_ANY_SLOTS, MIXED_SESSION_SLOTS, SEND_SESSION_SLOTS, SESSION_SLOTS
from rollup.scenario import SessionFullError


def test_session_operation_cap(tmp_path: Path) -> None:
    """A session of sends holds SEND_SESSION_SLOTS of them (the full send session's slots); one with a claim past
    its first MIXED_ANY_SLOTS operations holds SESSION_SLOTS operations (the full session's)."""
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.add_user("A", 1000)
        chain.add_user("B", 0)
        chain.build_block()
        for _ in range(SEND_SESSION_SLOTS):
            chain.send("A", "B", 1)
        with pytest.raises(SessionFullError, match=f"at most {SEND_SESSION_SLOTS} sends, {MIXED_SESSION_SLOTS} sends"):
            chain.send("A", "B", 1)
        assert len(chain.draft.operations(chain.id_of("A"))) == SEND_SESSION_SLOTS
        chain.build_block()
        assert len(chain.claim("B").claimed) == SESSION_SLOTS  # the claims past the cap are refused
        assert len(chain.draft.operations(chain.id_of("B"))) == SESSION_SLOTS
        with pytest.raises(SessionFullError):
            chain.send("B", "A", 1)


def test_a_session_with_its_claims_first_holds_the_mixed_sessions_operations(tmp_path: Path) -> None:
    """Claims among the first MIXED_ANY_SLOTS operations: MIXED_SESSION_SLOTS operations in all (the mixed full
    session's slots). The draft keeps a session's claims before its sends, so claims added after MIXED_ANY_SLOTS
    sends still leave room for MIXED_SESSION_SLOTS operations; the MIXED_ANY_SLOTS + 1st claim takes the session
    to the full session's SESSION_SLOTS."""
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.add_user("A", 10_000)
        chain.add_user("B", 0)
        chain.add_user("C", 1000)
        chain.build_block()
        for _ in range(MIXED_ANY_SLOTS):
            chain.send("A", "B", 20)
            chain.send("A", "C", 1)
        chain.send("A", "C", 1)
        chain.build_block()
        assert len(chain.claim("B").claimed) == MIXED_ANY_SLOTS
        for _ in range(MIXED_SESSION_SLOTS - MIXED_ANY_SLOTS):
            chain.send("B", "A", 1)
        with pytest.raises(SessionFullError, match=f"cannot take operation {MIXED_SESSION_SLOTS + 1}"):
            chain.send("B", "A", 1)
        assert len(chain.draft.operations(chain.id_of("B"))) == MIXED_SESSION_SLOTS
        for _ in range(MIXED_ANY_SLOTS):
            chain.send("C", "A", 1)
        claimed = chain.claim("C")  # MIXED_ANY_SLOTS + 1 claims: more than the mixed session's slots of any kind
        assert len(claimed.claimed) == MIXED_ANY_SLOTS + 1 and not claimed.rejected
        for _ in range(SESSION_SLOTS - 2 * MIXED_ANY_SLOTS - 1):
            chain.send("C", "A", 1)
        with pytest.raises(SessionFullError, match=f"cannot take operation {SESSION_SLOTS + 1}"):
            chain.send("C", "A", 1)
        chain.build_block()


def _balance(chain: ChainDirectory, name: str) -> int | None:
    return next(row.balance for row in chain.balances() if row.name == name)


def test_the_draft_keeps_claims_before_sends(tmp_path: Path) -> None:
    """Claims added after sends are moved before them, nonces renumbered in the new order; a send added after
    the claims may spend them, and the block's outcome is the one the operations add up to in any order."""
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.add_user("A", 100)
        chain.add_user("B", 100)
        chain.build_block()
        chain.send("A", "B", 30)
        chain.send("A", "B", 5)
        chain.build_block()
        chain.send("B", "A", 7)
        assert len(chain.claim("B").claimed) == 2
        chain.send("B", "A", 120)  # more than B's 100 - 7 before the claims (135 - 7 = 128 after them)
        ops = chain.draft.operations(chain.id_of("B"))
        assert [type(op) for op in ops] == [Claim, Claim, Send, Send]
        assert [op.nonce for op in ops] == [1, 2, 3, 4]
        assert [op.amount for op in ops if isinstance(op, Send)] == [7, 120]
        chain.build_block()
        assert _balance(chain, "B") == 100 + 35 - 127
        assert _balance(chain, "A") == 100 - 35


def test_the_draft_keeps_the_given_order_where_claims_first_would_overflow(tmp_path: Path) -> None:
    """A claim first can lift a balance to 2^MAX_AMOUNT_BITS where the send before it keeps it in range: the
    draft then keeps the order given, and the session is accepted."""
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.add_user("A", 100)
        chain.add_user("D", AMOUNT_LIMIT - 10)
        chain.build_block()
        chain.send("A", "D", 10)
        chain.build_block()
        chain.send("D", "A", 5)
        claimed = chain.claim("D")
        assert len(claimed.claimed) == 1 and not claimed.rejected
        assert [type(op) for op in chain.draft.operations(chain.id_of("D"))] == [Send, Claim]
        chain.build_block()
        assert _balance(chain, "D") == AMOUNT_LIMIT - 5
