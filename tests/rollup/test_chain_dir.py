"""The chain directory: a user's operations in one block form one session, capped at SESSION_SLOTS."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollup.chain_dir import ChainDirectory
from rollup.params import SESSION_SLOTS as MAX_SESSION_OPERATIONS
from rollup.scenario import SessionFullError


def test_session_operation_cap(tmp_path: Path) -> None:
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.add_user("A", 1000)
        chain.add_user("B", 0)
        chain.build_block()
        for _ in range(MAX_SESSION_OPERATIONS):
            chain.send("A", "B", 1)
        with pytest.raises(SessionFullError):
            chain.send("A", "B", 1)
        assert len(chain.draft.operations(chain.id_of("A"))) == MAX_SESSION_OPERATIONS
