"""The warm-up writes the proving kernels' cache, so processes started after it load instead of compiling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_warm_up_caches_the_proving_kernels_in_the_product_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    code = "from circuits.warm_up import warm_up_proving_kernels; warm_up_proving_kernels()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    cached = {path.name.split("-")[0] for path in tmp_path.rglob("*.nbi")}
    proving = {"hashing._absorb_kernel", "ntt._dit_rows", "quotient_tape._run_blocks", "pow._search"}
    assert proving <= cached, f"not cached by the warm-up: {sorted(proving - cached)}"
