"""The Dask executor: the executor scenarios on a local cluster, log forwarding, worker configuration.

One Dask LocalCluster (two single-thread worker processes) is shared by the tests of this module.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jobs_fixtures as toy
import pytest
from executor_scenarios import (
    check_tree,
    dependent_before_slow_sibling,
    rejected_job_is_not_retried,
    worker_always_killed_fails_after_retries,
    worker_killed_once_is_retried,
)

from prover.jobs import DaskExecutor, Job


def test_importing_the_package_does_not_import_dask() -> None:
    """Dask is imported only when a DaskExecutor is created: a local run pays nothing for it."""
    code = "import sys, prover.jobs; print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskExecutor]:
    with DaskExecutor(None, n_workers=2) as executor:
        yield executor


def test_tree_of_8_leaves_dask(dask_executor: DaskExecutor) -> None:
    check_tree(dask_executor.run(toy.tree_jobs(8)), 8)


def test_dependent_starts_before_slow_sibling_finishes_dask(dask_executor: DaskExecutor) -> None:
    dependent_before_slow_sibling(dask_executor)


def test_rejected_job_dask(dask_executor: DaskExecutor, tmp_path: Path) -> None:
    rejected_job_is_not_retried(dask_executor, tmp_path)


def test_worker_killed_once_is_retried_dask(dask_executor: DaskExecutor, tmp_path: Path) -> None:
    worker_killed_once_is_retried(dask_executor, tmp_path)


def test_worker_always_killed_fails_after_retries_dask(dask_executor: DaskExecutor) -> None:
    worker_always_killed_fails_after_retries(dask_executor)


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


def test_dask_workers_keep_freed_memory(dask_executor: DaskExecutor) -> None:
    """The executor's worker plugin: every worker refills a freed 64 MB array without page faults."""
    dask_executor.client.wait_for_workers(2, timeout=60)
    faults = dask_executor.client.run(toy.refault_pages)
    assert len(faults) == 2 and max(faults.values()) < toy.REFAULT_BYTES // toy.PAGE_BYTES // 20
