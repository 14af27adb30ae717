"""Witness generators: how the prover fills wires from the inputs it was given.

A generator declares the targets it depends on and, once all are known, sets
its outputs. ``run_generators`` is a worklist: a generator runs as soon as its
last dependency is set, so the order of registration does not matter.
"""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
from numba import njit

from circuits.witness import Target, Witness
from prover.field_kernels import FieldArray
from verifier import field
from verifier.gates.decomposition import BaseSumGate, RandomAccessGate
from verifier.gates.poseidon2_gate import (
    DELTA,
    FIRST_STATES,
    IN,
    LAST_STATES,
    NUM_WIRES,
    OUT,
    PARTIAL_SBOX_IN,
    SWAP,
)
from verifier.gates.simple import ArithmeticExtensionGate, ArithmeticGate
from verifier.goldilocks_jit import gl_add, gl_mul, gl_sub
from verifier.poseidon2 import WIDTH
from verifier.poseidon2_jit import (
    _FIRST_FULL,
    _LAST_FULL,
    _PARTIAL,
    _RC,
    _external_columns,
    _full_round_columns,
    _partial_round_columns,
)


class Generator(ABC):
    """Computes some targets from others."""

    @abstractmethod
    def dependencies(self) -> Sequence[Target]: ...

    @abstractmethod
    def run(self, w: Witness) -> None: ...


class SimpleGenerator(Generator):
    """outputs = fn(values of inputs), for hints such as inverses or bit splits."""

    def __init__(self, inputs: Sequence[Target], outputs: Sequence[Target], fn: Callable[[list[int]], list[int]]):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.fn = fn

    def dependencies(self) -> Sequence[Target]:
        return self.inputs

    def run(self, w: Witness) -> None:
        w.set_many(self.outputs, self.fn(w.get_many(self.inputs)))


class ConstantGenerator(Generator):
    """Sets a target to a fixed value (constant-gate wires)."""

    def __init__(self, target: Target, value: int) -> None:
        self.target = target
        self.value = value

    def dependencies(self) -> Sequence[Target]:
        return ()

    def run(self, w: Witness) -> None:
        w.set(self.target, self.value)


class ArithmeticGenerator(Generator):
    """out = c0*x*y + c1*z for one op of an arithmetic gate."""

    def __init__(self, row_base: Target, op: int, c0: int, c1: int) -> None:
        self.x, self.y, self.z, self.out = (row_base + c for c in ArithmeticGate.wires_of_op(op))
        self.c0, self.c1 = c0, c1

    def dependencies(self) -> Sequence[Target]:
        return (self.x, self.y, self.z)

    def run(self, w: Witness) -> None:
        x, y, z = w.get(self.x), w.get(self.y), w.get(self.z)
        w.set(self.out, (self.c0 * x * y + self.c1 * z) % field.P)


class ArithmeticExtensionGenerator(Generator):
    """out = c0*x*y + c1*z over F_p2 for one op of an extension arithmetic gate."""

    def __init__(self, row_base: Target, op: int, c0: int, c1: int) -> None:
        self.x, self.y, self.z, self.out = (
            (row_base + a, row_base + b) for a, b in ArithmeticExtensionGate.wires_of_op(op)
        )
        self.c0, self.c1 = c0, c1

    def dependencies(self) -> Sequence[Target]:
        return (*self.x, *self.y, *self.z)

    def run(self, w: Witness) -> None:
        from verifier.extension import Ext

        x = Ext(*w.get_many(self.x))
        y = Ext(*w.get_many(self.y))
        z = Ext(*w.get_many(self.z))
        r = x * y * self.c0 + z * self.c1
        w.set_many(self.out, [r.a0, r.a1])


@njit(cache=True)
def poseidon2_gate_row(inputs: FieldArray, swap: np.uint64, row: FieldArray) -> None:
    """Fill a Poseidon2 gate row from its IN wires and SWAP bit: DELTA, the stored states and OUT.

    The round schedule of ``verifier.poseidon2.permute_reference`` on one
    state, using the compiled round functions of ``verifier.poseidon2_jit``,
    recording the values the gate stores (layout in ``verifier.gates.poseidon2_gate``).
    """
    state = np.empty((WIDTH, 1), dtype=np.uint64)
    for i in range(4):
        delta = gl_mul(swap, gl_sub(inputs[i + 4], inputs[i]))
        row[DELTA + i] = delta
        state[i, 0] = gl_add(inputs[i], delta)
        state[i + 4, 0] = gl_sub(inputs[i + 4], delta)
    for i in range(8, WIDTH):
        state[i, 0] = inputs[i]
    total = np.empty(1, dtype=np.uint64)
    _external_columns(state)
    for k in range(_FIRST_FULL.shape[0]):
        _full_round_columns(state, _FIRST_FULL[k])
        if k < _FIRST_FULL.shape[0] - 1:
            for i in range(WIDTH):
                row[FIRST_STATES + WIDTH * k + i] = state[i, 0]
    for k in range(_PARTIAL.shape[0]):
        r = _PARTIAL[k]
        row[PARTIAL_SBOX_IN + k] = gl_add(state[0, 0], _RC[r, 0])
        _partial_round_columns(state, r, total)
    for k in range(_LAST_FULL.shape[0]):
        for i in range(WIDTH):
            row[LAST_STATES + WIDTH * k + i] = state[i, 0]
        _full_round_columns(state, _LAST_FULL[k])
    for i in range(WIDTH):
        row[OUT + i] = state[i, 0]


class Poseidon2Generator(Generator):
    """Fills a Poseidon2 gate row: delta, every stored round state, and the output."""

    def __init__(self, row_base: Target) -> None:
        self.base = row_base

    def dependencies(self) -> Sequence[Target]:
        return [self.base + IN + i for i in range(WIDTH)] + [self.base + SWAP]

    def run(self, w: Witness) -> None:
        b = self.base
        swap = w.get(b + SWAP)
        if swap not in (0, 1):
            raise ValueError(f"Poseidon2 swap bit must be 0 or 1, got {swap}")
        inputs = np.array(w.get_many(range(b + IN, b + IN + WIDTH)), dtype=np.uint64)
        row = np.empty(NUM_WIRES, dtype=np.uint64)
        poseidon2_gate_row(inputs, np.uint64(swap), row)
        w.set_many(range(b + OUT, b + OUT + WIDTH), row[OUT : OUT + WIDTH].tolist())
        w.set_cells(b + DELTA, row[DELTA:])


class BaseSumGenerator(Generator):
    """Splits the sum wire into little-endian base-B limbs."""

    def __init__(self, row_base: Target, gate: BaseSumGate) -> None:
        self.base = row_base
        self.gate = gate

    def dependencies(self) -> Sequence[Target]:
        return (self.base + BaseSumGate.SUM,)

    def run(self, w: Witness) -> None:
        value = w.get(self.base + BaseSumGate.SUM)
        limbs = []
        for i in range(self.gate.num_limbs):
            value, limb = divmod(value, self.gate.base)
            limbs.append(limb)
            w.set(self.base + self.gate.limb_wire(i), limb)
        if value:
            raise ValueError(
                f"value does not fit in {self.gate.num_limbs} base-{self.gate.base} limbs (range check failed)"
            )


class RandomAccessGenerator(Generator):
    """claimed = items[index] and the index bits, for one copy of a random-access gate."""

    def __init__(self, row_base: Target, gate: RandomAccessGate, copy: int) -> None:
        self.base = row_base
        self.gate = gate
        self.copy = copy

    def dependencies(self) -> Sequence[Target]:
        g, c = self.gate, self.copy
        return [self.base + g.index_wire(c)] + [self.base + g.item_wire(c, i) for i in range(g.vector_size)]

    def run(self, w: Witness) -> None:
        g, c = self.gate, self.copy
        index = w.get(self.base + g.index_wire(c))
        if index >= g.vector_size:
            raise ValueError(f"random access index {index} out of range 0..{g.vector_size - 1}")
        for i in range(g.bits):
            w.set(self.base + g.bit_wire(c, i), (index >> i) & 1)
        w.set(self.base + g.claimed_wire(c), w.get(self.base + g.item_wire(c, index)))


def generate_witness(
    num_wires: int,
    num_rows: int,
    classes: Mapping[Target, Sequence[Target]],
    generators: Sequence[Generator],
    inputs: Mapping[Target, int],
) -> Witness:
    """A witness with ``inputs`` set and every generator run (copy classes from ``CopyClasses.classes()``)."""
    members = {t: group for group in classes.values() for t in group}
    w = Witness(num_wires, num_rows, members)
    with gc_paused():
        for t, v in inputs.items():
            w.set(t, v % field.P)
        run_generators(generators, w)
    return w


@contextmanager
def gc_paused() -> Iterator[None]:
    """Suspend the cyclic garbage collector (restoring its previous state afterwards).

    Filling a witness allocates ~10^5 short-lived containers and no reference
    cycles; each allocation burst would trigger collections that traverse every
    object of the circuit (40% of the time at 2^12 rows).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_generators(generators: Sequence[Generator], w: Witness) -> None:
    """Run every generator once, each as soon as all its dependencies are set.

    Setting a target sets its whole copy class and reports every member in
    ``w.newly_set``, so generators wait on their dependency targets themselves.
    Raises ValueError naming a stuck generator if some dependency can never be set.
    """
    waiting: dict[Target, list[int]] = {}
    missing = [0] * len(generators)
    ready: list[int] = []
    for i, gen in enumerate(generators):
        deps = {t for t in gen.dependencies() if not w.is_set(t)}
        missing[i] = len(deps)
        for t in deps:
            waiting.setdefault(t, []).append(i)
        if not deps:
            ready.append(i)
    done = 0
    newly_set = w.newly_set
    while ready:
        i = ready.pop()
        newly_set.clear()
        generators[i].run(w)
        done += 1
        hits: Collection[Target] = waiting.keys() & newly_set  # most newly set cells have no waiter
        if len(hits) > 1:  # wake in setting order: runs are deterministic (diagnostics name the first failure)
            hits = [t for t in newly_set if t in hits]
        for t in hits:
            for j in waiting.pop(t):
                missing[j] -= 1
                if missing[j] == 0:
                    ready.append(j)
    if done != len(generators):
        stuck = next(g for g, m in zip(generators, missing, strict=True) if m > 0)
        raise ValueError(f"witness incomplete: {type(stuck).__name__} waits on targets that are never set")
