"""Scenarios every executor must pass; the local and the Dask tests run the same checks.

Timing checks compare the start/end times that workers record (order of
events), never wall-clock thresholds.
"""

from __future__ import annotations

from pathlib import Path

import jobs_fixtures as toy
import pytest

from prover.jobs import Dep, Executor, Job, LocalExecutor, RunError, RunResult

LOCAL = [
    pytest.param(LocalExecutor(1, in_process=True), id="in-process"),
    pytest.param(LocalExecutor(1), id="local-1"),
    pytest.param(LocalExecutor(2), id="local-2"),
]
POOLS = LOCAL[1:]  # real worker processes


def check_tree(result: RunResult, leaves: int) -> None:
    """The run of ``toy.tree_jobs(leaves)`` finished every job once, with the right root."""
    assert result.ok, result.failures
    assert result.results["root"] == toy.expected_tree(leaves)
    assert len(result.results) == 2 * leaves - 1
    assert all(r.status == "ok" and r.attempts == 1 for r in result.records.values())
    assert 0 < result.parallel_efficiency <= 1.0 + 1e-9


def dependent_before_slow_sibling(executor: Executor) -> None:
    """A job starts as soon as its dep is done, while an unrelated slow job still runs."""
    jobs = [
        Job("slow", toy.sleep_then, (1.5, "slow")),
        Job("fast", toy.sleep_then, (0.05, "fast")),
        Job("child", toy.identity, (Dep("fast"),)),
    ]
    result = executor.run(jobs)
    assert result.results == {"slow": "slow", "fast": "fast", "child": "fast"}
    slow, fast, child = (result.records[k] for k in ("slow", "fast", "child"))
    assert slow.end is not None and fast.end is not None and child.start is not None and child.end is not None
    # Not level by level: `child` starts once `fast` is done, while `slow` is still running.
    assert fast.end <= child.start < slow.end
    assert child.end < slow.end


def rejected_job_is_not_retried(executor: Executor, tmp_path: Path) -> None:
    """A JobRejected is reported once, with its reason, and its dependents are skipped."""
    counter = tmp_path / "attempts"
    jobs = [
        Job("bad", toy.count_and_reject, (str(counter), "overdraft by 5")),
        Job("agg", toy.combine, (Dep("bad"), Dep("good"))),
        Job("good", toy.leaf, (1,)),
    ]
    result = executor.run(jobs, retries=2)
    assert result.records["bad"].status == "rejected"
    assert result.failures["bad"] == "rejected: overdraft by 5"
    assert counter.read_text().count("x") == 1
    assert result.records["agg"].status == "skipped"
    assert result.failures["agg"] == "dependency 'bad' failed"
    assert result.by_status("ok") == ["good"]


def worker_killed_once_is_retried(executor: Executor, tmp_path: Path) -> None:
    """A job whose worker dies once runs again and succeeds; nothing else is run twice."""
    jobs = [
        Job("crashy", toy.crash_once, (str(tmp_path / "marker"), 41)),
        Job("after", toy.combine, (Dep("crashy"), 1)),
        Job("other", toy.leaf, (3,)),
    ]
    result = executor.run(jobs, retries=2)
    assert result.ok, result.failures
    assert result.results["crashy"] == 41
    assert result.results["after"] == toy.combine(41, 1)
    assert result.records["crashy"].attempts == 2
    assert result.records["other"].attempts == 1


def worker_always_killed_fails_after_retries(executor: Executor) -> None:
    """A job that always kills its worker fails after its retries; its dependents are skipped."""
    jobs = [
        Job("doomed", toy.always_crash, (1,)),
        Job("parent", toy.identity, (Dep("doomed"),)),
        Job("grandparent", toy.combine, (Dep("parent"), Dep("fine"))),
        Job("fine", toy.leaf, (2,)),
    ]
    result = executor.run(jobs, retries=1)
    assert not result.ok
    doomed = result.records["doomed"]
    assert doomed.status == "failed" and doomed.attempts == 2
    assert " died " in doomed.reason and doomed.reason.endswith("(after 2 attempts)")
    if isinstance(executor, LocalExecutor):
        assert "died (exit code 17)" in doomed.reason
    assert result.failures["parent"] == "dependency 'doomed' failed"
    assert result.failures["grandparent"] == "dependency 'doomed' failed (via 'parent')"
    assert result.records["parent"].attempts == 0, "a skipped job never runs"
    assert result.results == {"fine": toy.leaf(2)}, "jobs that do not depend on the failure still run"
    with pytest.raises(RunError, match="doomed"):
        result.check()
