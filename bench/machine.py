"""Where and when ``rollup bench`` measured, and which code: the record at the head of each run.

The code is named by the commit of the working directory's checkout when the
running packages are that checkout's files, else by a digest of the running
(installed) sources, so figures of a stale install are not credited to a commit.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import rollup

PACKAGES = ("verifier", "prover", "circuits", "rollup")


def source_digest(root: Path) -> str:
    """A digest of the packages' Python sources under ``root`` (paths and contents), 12 hex digits."""
    h = hashlib.sha256()
    for package in PACKAGES:
        for file in sorted((root / package).rglob("*.py")):
            h.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return h.hexdigest()[:12]


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=Path.cwd())
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def code_identity() -> str:
    """Which code is measured: the working directory's commit when the running packages are that
    checkout's files, else the digest of the running (installed) sources, so a stale install shows."""
    running = source_digest(Path(rollup.__file__).resolve().parent.parent)
    commit = _git("rev-parse", "--short", "HEAD")
    top = _git("rev-parse", "--show-toplevel")
    if not commit or not top or not (Path(top) / "rollup").is_dir():
        return f"installed sources {running}"
    if source_digest(Path(top)) != running:
        return f"installed sources {running}, not the checkout's ({commit} in {top}): reinstall with `pip install .`"
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", *PACKAGES)
    return commit + (" + uncommitted changes" if dirty else "")


def machine_info() -> dict[str, Any]:
    """Where and when the figures were measured, and which code."""
    commit = code_identity()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count() or 1,
        "load_average_at_start": round(load[0], 2),
        "commit": commit,
    }
