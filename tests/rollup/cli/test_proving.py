"""What the proving commands share: the verifier key of other circuits is kept aside, not overwritten."""

from __future__ import annotations

from pathlib import Path

from cli_support import Captured

from rollup.chain_dir import ChainDirectory
from rollup.cli.proving import Circuits, write_vk
from rollup.cli.ui import Ui


def test_changed_verifier_key_is_kept_aside(capsys: Captured, tmp_path: Path) -> None:
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.vk_path.write_bytes(b"old key")
        write_vk(chain, Circuits(vk=None, vk_bytes=b"new key", seconds=0.0), Ui())  # type: ignore[arg-type]
        assert chain.vk_path.read_bytes() == b"new key"
        kept = list(chain.path.glob("block-*.vk"))
        assert len(kept) == 1 and kept[0].read_bytes() == b"old key"
    assert "these circuits differ" in capsys.readouterr().err
