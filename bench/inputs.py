"""Deterministic random inputs of the kernel benchmarks."""

from __future__ import annotations

import numpy as np

from prover.field_kernels import FieldArray
from verifier.field import P


def random_elements(shape: tuple[int, ...], seed: int = 0) -> FieldArray:
    """Uniform Goldilocks elements in [0, p) of the given shape, the same for the same seed."""
    return np.random.default_rng(seed).integers(0, P, size=shape, dtype=np.uint64)
