"""Compiled kernels are cached in the product's owner-only directory, and only there while it stays private."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from verifier.kernel_cache import is_private_dir

PROBE = """
import sys
import numba.core.config as config
import verifier  # first, as every product entry point does
sys.path.insert(0, sys.argv[1])
from probe_kernel import plus_one
assert plus_one(41) == 42
print(config.CACHE_DIR)
"""

KERNEL = """
from numba import njit


@njit(cache=True)
def plus_one(x):
    return x + 1
"""


def run_probe(cache_home: Path, **extra: str) -> str:
    """Import ``verifier``, then compile (or load) a small cached kernel; the cache directory numba used."""
    source = cache_home / "source"
    source.mkdir(exist_ok=True)
    (source / "probe_kernel.py").write_text(KERNEL)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(cache_home), **extra)
    argv = [sys.executable, "-c", PROBE, str(source)]
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_kernels_are_cached_in_the_private_product_directory(tmp_path: Path) -> None:
    used = Path(run_probe(tmp_path))
    assert used == tmp_path / "rollup" / "numba"
    assert is_private_dir(used) and is_private_dir(used.parent)
    assert list(used.rglob("*.nbi")), "the kernel's cache index was written there"
    assert run_probe(tmp_path) == str(used), "a second process uses (and loads from) the same directory"


def test_a_directory_others_can_write_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "rollup" / "numba"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    assert run_probe(tmp_path) == "", "numba's default stays in effect"
    assert not list(shared.rglob("*.nbi"))
    assert list((tmp_path / "source" / "__pycache__").glob("*.nbi")), "the default: beside the source"


def test_a_link_is_not_a_private_directory(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(target)
    assert is_private_dir(target)
    assert not is_private_dir(tmp_path / "link")


@pytest.mark.parametrize("mode", [0o750, 0o701, 0o770])
def test_group_or_other_bits_make_a_directory_not_private(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "d"
    path.mkdir()
    path.chmod(mode)
    assert not is_private_dir(path)


def test_numba_cache_dir_in_the_environment_wins(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen"
    assert run_probe(tmp_path, NUMBA_CACHE_DIR=str(chosen)) == str(chosen)
    assert not (tmp_path / "rollup").exists()
