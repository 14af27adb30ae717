"""Helpers shared by the proof-system tests: walk a proof's elements and tamper with one; a cheating prover;
session circuits of any slot layout, built once per process."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Protocol

import numpy as np
import pytest

import prover.plonk_prover as plonk_prover
import prover.quotient as quotient
from circuits.circuit_data import CircuitData
from circuits.witness import Target, Witness
from rollup.circuits.session import SessionCircuit
from rollup.slot_layout import SlotLayout
from verifier.config import ProofConfig
from verifier.extension import Ext
from verifier.field import P
from verifier.proof import ProofWithPublicInputs

Path = tuple[str | int, ...]


def element_paths(obj: object, path: Path = ()) -> list[Path]:
    """Paths to every field element (int) and extension element in a proof structure."""
    if isinstance(obj, (int, Ext)):
        return [path]
    if dataclasses.is_dataclass(obj):
        return [p for f in dataclasses.fields(obj) for p in element_paths(getattr(obj, f.name), (*path, f.name))]
    if isinstance(obj, tuple):
        return [p for i, x in enumerate(obj) for p in element_paths(x, (*path, i))]
    raise TypeError(f"unexpected {type(obj).__name__} at {path}")


def replace_at(obj: object, path: Path, fn: object) -> object:
    if not path:
        return fn(obj)  # type: ignore[operator]
    head, rest = path[0], path[1:]
    if isinstance(head, str):
        return dataclasses.replace(obj, **{head: replace_at(getattr(obj, head), rest, fn)})  # type: ignore[type-var]
    assert isinstance(obj, tuple)
    return (*obj[:head], replace_at(obj[head], rest, fn), *obj[head + 1 :])


def tamper(value: int | Ext) -> int | Ext:
    """A different canonical value of the same kind."""
    return value + 1 if isinstance(value, Ext) else (value + 1) % P


@contextmanager
def prover_without_self_checks(config: ProofConfig) -> Iterator[None]:
    """A cheating prover: ignores a failed permutation product and truncates a non-polynomial quotient."""
    mp = pytest.MonkeyPatch()
    real_prefix = plonk_prover._ext_exclusive_prefix_product
    real_intt = quotient.coset_intt

    def lying_prefix(r0: np.ndarray, r1: np.ndarray, out0: np.ndarray, out1: np.ndarray) -> tuple[int, int]:
        real_prefix(r0, r1, out0, out1)
        return 1, 0

    def truncating_intt(values: np.ndarray, shift: int) -> np.ndarray:
        coeffs = np.array(real_intt(values, shift), copy=True)
        coeffs[config.quotient_degree_factor * (len(coeffs) >> config.rate_bits) :] = 0
        return coeffs

    mp.setattr(plonk_prover, "_ext_exclusive_prefix_product", lying_prefix)
    mp.setattr(quotient, "coset_intt", truncating_intt)
    try:
        yield
    finally:
        mp.undo()


class HasCircuitData(Protocol):
    """A circuit wrapper (a session circuit, ...) holding its built circuit."""

    @property
    def data(self) -> CircuitData: ...


def set_everywhere(circuit: HasCircuitData, w: Witness, target: Target, value: int) -> None:
    """Overwrite every wire cell copy-constrained to ``target`` (a cheater keeping copies consistent)."""
    cells = next((members for members in circuit.data.copy_classes.values() if target in members), [target])
    for t in cells:
        if t >= 0:
            row, column = divmod(t, circuit.data.common.config.num_wires)
            w.wires[column, row] = value % P


def cheating_prove(circuit: HasCircuitData, w: Witness) -> ProofWithPublicInputs:
    """A proof of ``w`` by a prover that skips its own constraint checks (so a forged witness still proves)."""
    with prover_without_self_checks(circuit.data.common.config):
        return circuit.data.prove_witness(w)


@cache
def session_circuit_of(layout: SlotLayout) -> SessionCircuit:
    """The session circuit of ``layout`` in its own smallest shape (not the block tree's: no whitelist root),
    zero-knowledge, built once per process. Small layouts keep the circuit-level tests fast; which circuit the
    product proves a session with is the block tree's rule (``rollup.session_proving.cheapest_session_circuit``).
    """
    return SessionCircuit.build(layout)
