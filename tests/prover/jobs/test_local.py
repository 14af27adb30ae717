"""The local process pool: real worker processes, worker deaths, unpicklable jobs, worker logs."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jobs_fixtures as toy
import pytest
from executor_scenarios import (
    POOLS,
    dependent_before_slow_sibling,
    worker_always_killed_fails_after_retries,
    worker_killed_once_is_retried,
)
from multiprocessing_logging import MultiProcessingHandler

from prover.jobs import Executor, Job, LocalExecutor, make_executor
from prover.jobs.local import thread_shares
from prover.threads import available_cores


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


def test_a_lone_job_gets_the_idle_cores_and_a_full_pool_one_thread_each() -> None:
    """A worker's proofs may use the cores no other busy worker uses (prover.threads); results do not change."""
    cores = available_cores()
    lone = LocalExecutor(1).run([Job("lone", toy.proof_threads_then_lde, (1,))])
    assert lone.results["lone"] == (cores, toy.lde_checksum(1))
    fixed = LocalExecutor(1, threads_per_job=1).run([Job("fixed", toy.proof_threads_then_lde, (1,))])
    assert fixed.results["fixed"] == (1, toy.lde_checksum(1))
    assert [thread_shares(2, busy) for busy in range(4)] == [[], [2], [1, 1], [1, 1, 1]]
    assert thread_shares(4, 3) == [2, 1, 1]


@pytest.mark.skipif(available_cores() < 2, reason="needs two cores to share")
def test_a_job_gets_the_cores_its_neighbour_leaves_while_it_runs() -> None:
    """Two jobs start side by side with a core each; when one ends, the other's count becomes every core."""
    cores = available_cores()
    jobs = [Job("short", toy.sleep_then, (0.5, 0)), Job("long", toy.threads_at_start_and_after, (60.0, cores))]
    result = LocalExecutor(2).run(jobs)
    assert result.results["long"] == (thread_shares(cores, 2)[1], cores)


def test_spawned_workers_run_jobs_too() -> None:
    result = LocalExecutor(1, start_method="spawn").run(toy.tree_jobs(2))
    assert result.results["root"] == toy.expected_tree(2)


def test_local_workers_keep_freed_memory() -> None:
    """A worker refills a freed 64 MB array without page faults; a fresh interpreter on glibc defaults does not.

    (A fresh one: a long-running process may hold a large free heap top from earlier work.)
    """
    pages = toy.REFAULT_BYTES // toy.PAGE_BYTES
    fresh = subprocess.run(
        [sys.executable, "-c", "import jobs_fixtures; print(jobs_fixtures.refault_pages())"],
        cwd=Path(toy.__file__).parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(fresh.stdout) > pages // 2
    result = LocalExecutor(1).run([Job("refault", toy.refault_pages, ())])
    assert result.results["refault"] < pages // 20


def test_make_executor_picks_from_options() -> None:
    executor = make_executor(workers=2)
    assert isinstance(executor, LocalExecutor) and executor.workers == 2


def test_dependent_starts_before_slow_sibling_finishes_local() -> None:
    dependent_before_slow_sibling(LocalExecutor(2))


@pytest.mark.parametrize("executor", POOLS)
def test_worker_killed_once_is_retried(executor: Executor, tmp_path: Path) -> None:
    worker_killed_once_is_retried(executor, tmp_path)


@pytest.mark.parametrize("executor", POOLS)
def test_worker_always_killed_fails_after_retries(executor: Executor) -> None:
    worker_always_killed_fails_after_retries(executor)


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


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting to be reaped has stopped running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"


def _poll(condition: Callable[[], bool], timeout: float) -> bool:
    """Wait until ``condition()`` holds or ``timeout`` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param("", id="default"),  # on Linux: the kernel kills the workers with their parent
        pytest.param("prover.jobs.local_worker._kernel_kills_us_with_parent = lambda: False\n", id="watch-thread"),
    ],
)
def test_workers_die_with_a_parent_killed_by_sigkill(tmp_path: Path, setup: str) -> None:
    """A parent killed in the middle of a run (no chance to stop its pool) takes its busy workers with it."""
    pids = tmp_path / "pids"
    pids.mkdir()
    program = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import prover.jobs.local_worker\n"
        f"{setup}"
        "import jobs_fixtures as toy\n"
        "from prover.jobs import Job, LocalExecutor\n"
        f"jobs = [Job(f'sleep/{{i}}', toy.record_pid_then_sleep, ({str(pids)!r}, 600)) for i in range(2)]\n"
        "LocalExecutor(2).run(jobs)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", program])
    workers: list[int] = []
    try:
        assert _poll(lambda: len(list(pids.iterdir())) == 2, timeout=120), "both workers started their job"
        workers = [int(p.name) for p in pids.iterdir()]
        assert all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        assert parent.wait(timeout=60) == -signal.SIGKILL
        assert _poll(lambda: not any(_alive(pid) for pid in workers), timeout=30), "the workers outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
