"""Progress events of a run and the rich progress bar."""

from __future__ import annotations

import jobs_fixtures as toy
import pytest

from prover.jobs import Dep, Job, LocalExecutor, ProgressEvent, RichProgress


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
