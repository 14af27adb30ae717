"""The graph scheduler, through the local executors: validation, order, retries, failures."""

from __future__ import annotations

from pathlib import Path

import jobs_fixtures as toy
import pytest
from executor_scenarios import LOCAL, check_tree, rejected_job_is_not_retried

from prover.jobs import Dep, Executor, Job, LocalExecutor


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        ([Job("a", toy.leaf, (1,)), Job("a", toy.leaf, (2,))], "duplicate"),
        ([Job("a", toy.identity, (Dep("missing"),))], "unknown"),
        ([Job("a", toy.identity, (Dep("b"),)), Job("b", toy.identity, (Dep("a"),))], "cycle"),
    ],
)
def test_invalid_graphs_are_refused(jobs: list[Job], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LocalExecutor(1, in_process=True).run(jobs)


@pytest.mark.parametrize("executor", LOCAL)
def test_tree_of_8_leaves(executor: Executor) -> None:
    check_tree(executor.run(toy.tree_jobs(8)), 8)


def test_ready_aggregation_runs_before_waiting_leaves() -> None:
    jobs = [Job(f"leaf/{i}", toy.leaf, (i,)) for i in range(4)]
    jobs.append(Job("agg", toy.combine, (Dep("leaf/0"), Dep("leaf/1"))))
    result = LocalExecutor(1).run(jobs)
    starts = {k: r.start for k, r in result.records.items()}
    assert sorted(starts, key=lambda k: starts[k] or 0.0) == ["leaf/0", "leaf/1", "agg", "leaf/2", "leaf/3"]


@pytest.mark.parametrize("executor", LOCAL)
def test_rejected_job_is_not_retried(executor: Executor, tmp_path: Path) -> None:
    rejected_job_is_not_retried(executor, tmp_path)


@pytest.mark.parametrize("executor", LOCAL)
def test_ordinary_exception_is_retried_then_reported(executor: Executor, tmp_path: Path) -> None:
    counter = tmp_path / "attempts"
    result = executor.run([Job("buggy", toy.count_and_fail, (str(counter),))], retries=2)
    record = result.records["buggy"]
    assert counter.read_text().count("x") == 3
    assert record.status == "failed" and record.attempts == 3
    assert record.reason == "ValueError: boom (after 3 attempts)"
    assert "ValueError: boom" in record.traceback
