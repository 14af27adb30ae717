"""The DAG executors: results, dependency-driven scheduling, retries, failures, logs, progress.

Timing assertions compare the start/end times that workers record (order of
events), never wall-clock thresholds.  One Dask LocalCluster (two single-thread
worker processes) is shared by the Dask tests of this module.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# The toy jobs live in a plain module next to this file; workers must import it by
# name, so its directory goes on sys.path (forked workers and the spawned Dask
# workers started below inherit sys.path).
sys.path.insert(0, str(Path(__file__).parent))

import jobs_fixtures as toy
from multiprocessing_logging import MultiProcessingHandler

from prover.executors import (
    DaskExecutor,
    Dep,
    Executor,
    Job,
    LocalExecutor,
    ProgressEvent,
    RichProgress,
    RunError,
    RunResult,
    make_executor,
)

LOCAL = [
    pytest.param(LocalExecutor(1, in_process=True), id="in-process"),
    pytest.param(LocalExecutor(1), id="local-1"),
    pytest.param(LocalExecutor(2), id="local-2"),
]
POOLS = LOCAL[1:]  # real worker processes


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskExecutor]:
    with DaskExecutor(None, n_workers=2) as executor:
        yield executor


# ----------------------------------------------------------------------------- jobs and validation


def test_job_derives_deps_from_placeholders() -> None:
    job = Job("agg", toy.combine, (Dep("b"), Dep("a"), 3), deps=("c",))
    assert job.deps == ("a", "b", "c")
    assert Job("leaf", toy.leaf, [1]).args == (1,)  # type: ignore[arg-type]  # lists are accepted, stored as tuples


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


def test_invalid_jobs_are_refused() -> None:
    with pytest.raises(ValueError, match="itself"):
        Job("a", toy.identity, (Dep("a"),))
    with pytest.raises(ValueError, match="non-empty"):
        Job("", toy.leaf, (1,))
    with pytest.raises(TypeError, match="tuple"):
        Job("s", toy.reject, ("no"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers"):
        LocalExecutor(0)


# ----------------------------------------------------------------------------- local pool


def _check_tree(result: RunResult, leaves: int) -> None:
    assert result.ok, result.failures
    assert result.results["root"] == toy.expected_tree(leaves)
    assert len(result.results) == 2 * leaves - 1
    assert all(r.status == "ok" and r.attempts == 1 for r in result.records.values())
    assert 0 < result.parallel_efficiency <= 1.0 + 1e-9


@pytest.mark.parametrize("executor", LOCAL)
def test_tree_of_8_leaves(executor: Executor) -> None:
    _check_tree(executor.run(toy.tree_jobs(8)), 8)


def test_local_pool_uses_worker_processes() -> None:
    result = LocalExecutor(2).run([Job(f"j{i}", toy.sleep_then, (0.5, i)) for i in range(2)])
    workers = {r.worker for r in result.records.values()}
    assert len(workers) == 2, "two sleeping jobs run side by side on two workers"
    assert all(w is not None and not w.endswith(f":{os.getpid()}") for w in workers)
    a, b = result.records["j0"], result.records["j1"]
    assert a.start is not None and b.start is not None and a.end is not None and b.end is not None
    assert a.start < b.end and b.start < a.end, "the two leaves overlap in time"


def test_numba_kernels_run_in_forked_workers() -> None:
    expected = {f"lde/{i}": toy.lde_checksum(i) for i in range(3)}  # the parent compiles and uses them first
    result = LocalExecutor(2).run([Job(key, toy.lde_checksum, (i,)) for i, key in enumerate(expected)])
    assert result.results == expected


def test_spawned_workers_run_jobs_too() -> None:
    result = LocalExecutor(1, start_method="spawn").run(toy.tree_jobs(2))
    assert result.results["root"] == toy.expected_tree(2)


def test_make_executor_picks_from_options() -> None:
    executor = make_executor(workers=2)
    assert isinstance(executor, LocalExecutor) and executor.workers == 2


def _dependent_before_slow_sibling(executor: Executor) -> None:
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


def test_dependent_starts_before_slow_sibling_finishes_local() -> None:
    _dependent_before_slow_sibling(LocalExecutor(2))


def test_ready_aggregation_runs_before_waiting_leaves() -> None:
    jobs = [Job(f"leaf/{i}", toy.leaf, (i,)) for i in range(4)]
    jobs.append(Job("agg", toy.combine, (Dep("leaf/0"), Dep("leaf/1"))))
    result = LocalExecutor(1).run(jobs)
    starts = {k: r.start for k, r in result.records.items()}
    assert sorted(starts, key=lambda k: starts[k] or 0.0) == ["leaf/0", "leaf/1", "agg", "leaf/2", "leaf/3"]


@pytest.mark.parametrize("executor", POOLS)
def test_worker_killed_once_is_retried(executor: Executor, tmp_path: Path) -> None:
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


@pytest.mark.parametrize("executor", POOLS)
def test_worker_always_killed_fails_after_retries(executor: Executor) -> None:
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


@pytest.mark.parametrize("executor", LOCAL)
def test_rejected_job_is_not_retried(executor: Executor, tmp_path: Path) -> None:
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


@pytest.mark.parametrize("executor", LOCAL)
def test_ordinary_exception_is_retried_then_reported(executor: Executor, tmp_path: Path) -> None:
    counter = tmp_path / "attempts"
    result = executor.run([Job("buggy", toy.count_and_fail, (str(counter),))], retries=2)
    record = result.records["buggy"]
    assert counter.read_text().count("x") == 3
    assert record.status == "failed" and record.attempts == 3
    assert record.reason == "ValueError: boom (after 3 attempts)"
    assert "ValueError: boom" in record.traceback


def test_unpicklable_job_and_result_fail_without_retry() -> None:
    jobs = [Job("lambda", lambda: 1), Job("result", toy.unpicklable_result)]
    result = LocalExecutor(1).run(jobs, retries=2)
    assert result.records["lambda"].attempts == 1
    assert result.failures["lambda"].startswith("cannot submit:")
    assert result.records["result"].attempts == 1
    assert "cannot be sent back" in result.failures["result"]


def test_worker_logs_reach_the_parent(caplog: pytest.LogCaptureFixture) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    with caplog.at_level(logging.WARNING, logger="tests.jobs_fixtures"):
        result = LocalExecutor(2).run([Job("log", toy.log_and_return, ("hello parent",))])
    worker_pid = result.results["log"]
    assert worker_pid != os.getpid()
    messages = [r.getMessage() for r in caplog.records if r.name == "tests.jobs_fixtures"]
    assert f"from worker {worker_pid}: hello parent" in messages
    assert root.handlers == before, "the forwarding handlers are removed after the run"
    assert not any(isinstance(h, MultiProcessingHandler) for h in root.handlers)


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


# ----------------------------------------------------------------------------- Dask


def test_tree_of_8_leaves_dask(dask_executor: DaskExecutor) -> None:
    _check_tree(dask_executor.run(toy.tree_jobs(8)), 8)


def test_dependent_starts_before_slow_sibling_finishes_dask(dask_executor: DaskExecutor) -> None:
    _dependent_before_slow_sibling(dask_executor)


def test_rejected_job_dask(dask_executor: DaskExecutor, tmp_path: Path) -> None:
    test_rejected_job_is_not_retried(dask_executor, tmp_path)


def test_worker_killed_once_is_retried_dask(dask_executor: DaskExecutor, tmp_path: Path) -> None:
    test_worker_killed_once_is_retried(dask_executor, tmp_path)


def test_worker_always_killed_fails_after_retries_dask(dask_executor: DaskExecutor) -> None:
    test_worker_always_killed_fails_after_retries(dask_executor)


def test_worker_logs_reach_the_client_dask(dask_executor: DaskExecutor, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tests.jobs_fixtures"):
        result = dask_executor.run([Job("log", toy.log_and_return, ("hello client",))])
        expected = f"from worker {result.results['log']}: hello client"
        deadline = time.monotonic() + 10  # forwarded records arrive asynchronously
        while expected not in [r.getMessage() for r in caplog.records] and time.monotonic() < deadline:
            time.sleep(0.05)
    assert expected in [r.getMessage() for r in caplog.records]


def test_local_dask_workers_keep_the_default_malloc_trimming(dask_executor: DaskExecutor) -> None:
    """Dask's nanny would set MALLOC_TRIM_THRESHOLD_=65536 (about 2x slower proofs); the executor unsets it."""
    dask_executor.client.wait_for_workers(2, timeout=60)  # a worker killed by an earlier test may be restarting
    found = dask_executor.client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
    assert len(found) == 2 and set(found.values()) == {None}
