"""What the proving commands share: the progress bar of each block, the verifier key of other circuits kept aside."""

from __future__ import annotations

import io
from pathlib import Path

from cli_support import Captured
from rich.console import Console

from prover.jobs import Dep, Job, LocalExecutor, ProgressEvent
from rollup.chain_dir import ChainDirectory
from rollup.cli.proving import Circuits, ProgressExecutor, write_vk
from rollup.cli.ui import Ui


def test_changed_verifier_key_is_kept_aside(capsys: Captured, tmp_path: Path) -> None:
    with ChainDirectory.open(tmp_path / "c", create=True) as chain:
        chain.vk_path.write_bytes(b"old key")
        write_vk(chain, Circuits(vk=None, vk_bytes=b"new key", seconds=0.0), Ui())  # type: ignore[arg-type]
        assert chain.vk_path.read_bytes() == b"new key"
        kept = list(chain.path.glob("block-*.vk"))
        assert len(kept) == 1 and kept[0].read_bytes() == b"old key"
    assert "these circuits differ" in capsys.readouterr().err


def test_progress_bar_counts_jobs_when_the_caller_passes_its_own_callback() -> None:
    ui = Ui()
    screen = io.StringIO()
    ui.err = Console(file=screen, force_terminal=True, width=120)
    jobs = [Job("a", abs, (-1,)), Job("b", abs, (-2,)), Job("sum", max, (Dep("a"), Dep("b")))]
    events: list[ProgressEvent] = []  # e.g. prove_block's callback, which stores each proof
    result = ProgressExecutor(LocalExecutor(1, in_process=True), "block 1", ui).run(jobs, progress=events.append)
    assert result.results == {"a": 1, "b": 2, "sum": 2}
    assert [e.done for e in events] == [0, 1, 2, 3], "the caller's callback sees every event"
    assert "3/3" in screen.getvalue(), "the bar reached 3 of 3 jobs"
