"""Progress events of a run and the rich progress bar."""

from __future__ import annotations

import io

import jobs_fixtures as toy
import pytest
from rich.console import Console

from prover.jobs import Dep, Job, LocalExecutor, ProgressEvent, RichProgress, broadcast


def test_progress_callback_sees_every_job() -> None:
    events: list[ProgressEvent] = []
    jobs = [*toy.tree_jobs(4), Job("bad", toy.reject, ("no",)), Job("after-bad", toy.identity, (Dep("bad"),))]
    LocalExecutor(2).run(jobs, progress=events.append)
    assert events[0] == ProgressEvent(0, 9)
    assert [e.done for e in events[1:]] == list(range(1, 10))
    statuses = {e.key: e.status for e in events[1:]}
    assert statuses["root"] == "ok" and statuses["bad"] == "rejected" and statuses["after-bad"] == "skipped"
    values = {e.key: e.value for e in events[1:]}
    assert values["root"] == toy.expected_tree(4) and values["bad"] is None


def test_rich_progress_is_silent_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with RichProgress("proving") as progress:
        result = LocalExecutor(1, in_process=True).run(toy.tree_jobs(4), progress=progress)
    assert result.ok
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rich_progress_prints_plain_lines_off_a_terminal() -> None:
    out = io.StringIO()
    clock = _Clock()
    progress = RichProgress("proving", console=Console(file=out), interval=10.0, clock=clock)
    with progress:
        for now, event in [
            (0.0, ProgressEvent(0, 9)),
            (5.0, ProgressEvent(1, 9, "a", "ok")),  # within the first interval: no line
            (12.0, ProgressEvent(2, 9, "b", "ok")),
            (15.0, ProgressEvent(3, 9, "c", "rejected")),  # 3 s after the last line: no line
            (23.0, ProgressEvent(4, 9, "d", "skipped")),
        ]:
            clock.now = now
            progress(event)
    assert out.getvalue().splitlines() == [
        "proving: 2/9 jobs finished, 0 failed",
        "proving: 4/9 jobs finished, 2 failed",
    ]


def test_disabled_rich_progress_prints_nothing_off_a_terminal() -> None:
    out = io.StringIO()
    clock = _Clock()
    with RichProgress("proving", console=Console(file=out), disable=True, interval=1.0, clock=clock) as progress:
        for done in range(4):
            clock.now = 10.0 * done
            progress(ProgressEvent(done, 3))
    assert out.getvalue() == ""


def test_broadcast_hands_every_event_to_every_callback() -> None:
    first: list[ProgressEvent] = []
    second: list[ProgressEvent] = []
    result = LocalExecutor(1, in_process=True).run(
        toy.tree_jobs(2), progress=broadcast(first.append, None, second.append)
    )
    assert result.ok
    assert first == second and [e.done for e in first] == [0, 1, 2, 3]
