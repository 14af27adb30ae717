"""Where numba keeps compiled kernels on disk: a directory the product owns, readable by its user only.

Every kernel is ``@njit(cache=True)``, so a process loads the machine code a
previous process compiled instead of compiling again (seconds per kernel; a
fresh wallet or worker process would otherwise spend most of its first proof
compiling). A cache file is machine code the process will run, so it must come
from this user alone: the directory is ``$XDG_CACHE_HOME/rollup/numba`` (or
``~/.cache/rollup/numba``), created 0700, and used only while it is owned by
this user and not group- or world-accessible; otherwise numba's default (the
``__pycache__`` beside each source file) stays in effect. ``NUMBA_CACHE_DIR``
set in the environment wins over both.

This runs when the ``verifier`` package is imported, before any kernel is
decorated (numba picks the directory at decoration time); importing it again
changes nothing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from numba.core import config as numba_config

CACHE_SUBDIRECTORY = Path("rollup") / "numba"
"""The product's directory below the user's cache directory."""

PRIVATE_MODE = 0o700


def product_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rollup/numba``, or ``~/.cache/rollup/numba``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / CACHE_SUBDIRECTORY


def is_private_dir(path: Path) -> bool:
    """A real directory (not a link) owned by this user with no group or other permission bits."""
    try:
        info = path.lstat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and owner_ok and not info.st_mode & 0o077


def use_product_cache_dir() -> Path | None:
    """Point numba's cache at :func:`product_cache_dir` (created owner-only); the directory, or None if not used."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    path = product_cache_dir()
    try:
        path.parent.mkdir(mode=PRIVATE_MODE, parents=True, exist_ok=True)
        path.mkdir(mode=PRIVATE_MODE, exist_ok=True)
    except OSError:
        return None
    if not is_private_dir(path):
        return None
    setattr(numba_config, "CACHE_DIR", str(path))  # noqa: B010 (the attribute is created at runtime; mypy cannot see it)
    return path
