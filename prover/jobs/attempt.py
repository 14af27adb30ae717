"""One attempt of a job, as a worker runs it: every ordinary exception becomes plain data.

Shared by every backend (in process, local worker processes, Dask workers), so
a job's outcome means the same wherever it ran.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from prover.jobs.model import JobRejected


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one attempt; plain picklable data."""

    kind: Literal["ok", "rejected", "error"]
    value: Any = None
    reason: str = ""
    traceback: str = ""
    retryable: bool = False
    start: float = 0.0
    end: float = 0.0
    worker: str = ""


@dataclass(frozen=True)
class Lost:
    """The attempt never reported back: its worker died or was lost."""

    reason: str


def worker_id() -> str:
    """``host:pid`` of the process running this code."""
    return f"{socket.gethostname()}:{os.getpid()}"


def execute(fn: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
    """Run one attempt and turn every ordinary exception into data."""
    worker = worker_id()
    start = time.time()
    try:
        value = fn(*args)
    except JobRejected as exc:
        return Outcome("rejected", reason=exc.reason, start=start, end=time.time(), worker=worker)
    except Exception as exc:
        return Outcome(
            "error",
            reason=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            retryable=True,
            start=start,
            end=time.time(),
            worker=worker,
        )
    return Outcome("ok", value=value, start=start, end=time.time(), worker=worker)
