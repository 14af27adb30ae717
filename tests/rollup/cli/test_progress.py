"""The progress bar of ``rollup block prove``: it moves while the caller's own callback still sees every job."""

from __future__ import annotations

import io

from rich.console import Console

from prover.jobs import Dep, Job, LocalExecutor, ProgressEvent
from rollup.cli.proving import ProgressExecutor
from rollup.cli.ui import Ui


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
