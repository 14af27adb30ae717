"""The chain directory: a user's operations in one block form one session, capped at what one session proof holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollup.chain_dir import ChainDirectory
from rollup.params import MIXED_ANY_SLOTS, MIXED_SESSION_SLOTS, SEND_SESSION_SLOTS, SESSION_SLOTS
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
    session's slots). The draft keeps the order the user gave: the same claims after MIXED_ANY_SLOTS sends
    leave room for SESSION_SLOTS operations only (the full session's), so the rule depends on the position."""
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.add_user("A", 10_000)
        chain.add_user("B", 0)
        chain.add_user("C", 1000)
        chain.build_block()
        for _ in range(MIXED_ANY_SLOTS):
            chain.send("A", "B", 20)
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
        claimed = chain.claim("C")
        assert len(claimed.claimed) == MIXED_ANY_SLOTS and not claimed.rejected  # past the prefix: the full session
        for _ in range(SESSION_SLOTS - 2 * MIXED_ANY_SLOTS):
            chain.send("C", "A", 1)
        with pytest.raises(SessionFullError, match=f"cannot take operation {SESSION_SLOTS + 1}"):
            chain.send("C", "A", 1)
        chain.build_block()
