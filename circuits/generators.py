"""Witness generators: how the prover fills wires from the inputs it was given.

A generator declares the targets it depends on and, once all are known, sets
its outputs. ``run_generators`` is a worklist: a generator runs as soon as its
last dependency is set, so the order of registration does not matter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence

from circuits.witness import Target, Witness
from verifier import field
from verifier.gates.decomposition import BaseSumGate, RandomAccessGate
from verifier.gates.poseidon2_gate import (
    DELTA,
    IN,
    OUT,
    PARTIAL_SBOX_IN,
    SWAP,
    first_state_wire,
    last_state_wire,
)
from verifier.gates.simple import ArithmeticExtensionGate, ArithmeticGate
from verifier.poseidon2 import (
    FULL_ROUNDS_FIRST,
    FULL_ROUNDS_LAST,
    PARTIAL_ROUNDS,
    ROUND_CONSTANTS,
    WIDTH,
    external_linear_layer,
    internal_linear_layer,
    sbox,
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


def _mod(v: int) -> int:
    return v % field.P


class Poseidon2Generator(Generator):
    """Fills a Poseidon2 gate row: delta, every stored round state, and the output."""

    def __init__(self, row_base: Target) -> None:
        self.base = row_base

    def dependencies(self) -> Sequence[Target]:
        return [self.base + IN + i for i in range(WIDTH)] + [self.base + SWAP]

    def run(self, w: Witness) -> None:
        b = self.base
        inputs = w.get_many(b + IN + i for i in range(WIDTH))
        swap = w.get(b + SWAP)
        if swap not in (0, 1):
            raise ValueError(f"Poseidon2 swap bit must be 0 or 1, got {swap}")
        delta = [swap * (inputs[i + 4] - inputs[i]) % field.P for i in range(4)]
        w.set_many([b + DELTA + i for i in range(4)], delta)
        state = [(inputs[i] + delta[i]) % field.P for i in range(4)]
        state += [(inputs[i + 4] - delta[i]) % field.P for i in range(4)] + inputs[8:]
        state = [_mod(v) for v in external_linear_layer(state)]
        for k, r in enumerate(FULL_ROUNDS_FIRST):
            state = _full_round_int(state, ROUND_CONSTANTS[r])
            if k < len(FULL_ROUNDS_FIRST) - 1:
                w.set_many([b + first_state_wire(k, lane) for lane in range(WIDTH)], state)
        for k, r in enumerate(PARTIAL_ROUNDS):
            sbox_in = (state[0] + ROUND_CONSTANTS[r][0]) % field.P
            w.set(b + PARTIAL_SBOX_IN + k, sbox_in)
            state[0] = sbox(sbox_in, _mod)
            state = [_mod(v) for v in internal_linear_layer(state)]
        for k, r in enumerate(FULL_ROUNDS_LAST):
            w.set_many([b + last_state_wire(k, lane) for lane in range(WIDTH)], state)
            state = _full_round_int(state, ROUND_CONSTANTS[r])
        w.set_many([b + OUT + i for i in range(WIDTH)], state)


def _full_round_int(state: list[int], constants: tuple[int, ...]) -> list[int]:
    boxed = [sbox((x + c) % field.P, _mod) for x, c in zip(state, constants, strict=True)]
    return [_mod(v) for v in external_linear_layer(boxed)]


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
    representative = {t: rep for rep, group in classes.items() for t in group}
    w = Witness(num_wires, num_rows, members)
    for t, v in inputs.items():
        w.set(t, v % field.P)
    run_generators(generators, w, lambda t: representative.get(t, t))
    return w


def run_generators(generators: Sequence[Generator], w: Witness, representative: Callable[[Target], Target]) -> None:
    """Run every generator once, each as soon as all its dependencies are set.

    Raises ValueError naming a stuck generator if some dependency can never be set.
    """
    waiting: dict[Target, list[int]] = {}
    missing = [0] * len(generators)
    ready: list[int] = []
    for i, gen in enumerate(generators):
        deps = {representative(t) for t in gen.dependencies() if not w.is_set(t)}
        missing[i] = len(deps)
        for rep in deps:
            waiting.setdefault(rep, []).append(i)
        if not deps:
            ready.append(i)
    done = 0
    while ready:
        i = ready.pop()
        w.newly_set.clear()
        generators[i].run(w)
        done += 1
        for t in w.newly_set:
            for j in waiting.pop(representative(t), ()):
                missing[j] -= 1
                if missing[j] == 0:
                    ready.append(j)
    if done != len(generators):
        stuck = next(g for g, m in zip(generators, missing, strict=True) if m > 0)
        raise ValueError(f"witness incomplete: {type(stuck).__name__} waits on targets that are never set")
