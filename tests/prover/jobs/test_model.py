"""The job model: deps derived from placeholders, invalid jobs refused."""

from __future__ import annotations

import jobs_fixtures as toy
import pytest

from prover.jobs import Dep, Job, LocalExecutor


def test_job_derives_deps_from_placeholders() -> None:
    job = Job("agg", toy.combine, (Dep("b"), Dep("a"), 3), deps=("c",))
    assert job.deps == ("a", "b", "c")
    assert Job("leaf", toy.leaf, [1]).args == (1,)  # type: ignore[arg-type]  # lists are accepted, stored as tuples


def test_invalid_jobs_are_refused() -> None:
    with pytest.raises(ValueError, match="itself"):
        Job("a", toy.identity, (Dep("a"),))
    with pytest.raises(ValueError, match="non-empty"):
        Job("", toy.leaf, (1,))
    with pytest.raises(TypeError, match="tuple"):
        Job("s", toy.reject, ("no"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers"):
        LocalExecutor(0)
