"""The chain directory: a user's operations in one block form one session, capped at what one session proof holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollup.chain_dir import ChainDirectory
from rollup.params import SEND_SESSION_SLOTS, SESSION_SLOTS
from rollup.scenario import SessionFullError


def test_session_operation_cap(tmp_path: Path) -> None:
    """A session of sends holds SEND_SESSION_SLOTS of them (the full send session's slots); one with a claim
    holds SESSION_SLOTS operations (the full session's)."""
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.add_user("A", 1000)
        chain.add_user("B", 0)
        chain.build_block()
        for _ in range(SEND_SESSION_SLOTS):
            chain.send("A", "B", 1)
        with pytest.raises(SessionFullError, match=f"at most {SEND_SESSION_SLOTS} sends, or {SESSION_SLOTS}"):
            chain.send("A", "B", 1)
        assert len(chain.draft.operations(chain.id_of("A"))) == SEND_SESSION_SLOTS
        chain.build_block()
        assert len(chain.claim("B").claimed) == SESSION_SLOTS  # the claims past the cap are refused
        assert len(chain.draft.operations(chain.id_of("B"))) == SESSION_SLOTS
        with pytest.raises(SessionFullError):
            chain.send("B", "A", 1)
