"""The generator interface and the worklist that runs generators to fill a witness.

A generator declares the targets it depends on and, once all are known, sets
its outputs. ``run_generators`` is a worklist: a generator runs as soon as its
last dependency is set, so the order of registration does not matter. A
:class:`WitnessPlan` records the order once per circuit and set of input
targets, and later fills replay it.
"""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager

from circuits.witness import Target, Witness
from verifier import field


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


MAX_RECORDED_ORDERS = 8
"""Sets of input targets a :class:`WitnessPlan` keeps an order for (a circuit is filled with one or a few)."""


class WitnessPlan:
    """What filling one circuit's witnesses needs besides the values, worked out once per circuit.

    * ``members``: every cell of a non-trivial copy class -> its class (from the classes);
    * per set of input targets, the order in which the worklist ran the generators.
      Which targets a generator reads and sets does not depend on values, so the
      worklist's order is the same on every fill with the same input targets: the
      first fill records it (:func:`run_generators`), later fills replay it
      (:func:`run_in_order`) without the dependency bookkeeping, running the same
      generators in the same order and so producing the same witness, or the
      same first failure.
    """

    def __init__(self, classes: Mapping[Target, Sequence[Target]]) -> None:
        self.members: dict[Target, Sequence[Target]] = {t: group for group in classes.values() for t in group}
        self.orders: dict[frozenset[Target], array[int]] = {}

    def record(self, inputs: frozenset[Target], order: Sequence[int]) -> None:
        """Keep ``order`` for these input targets (at most ``MAX_RECORDED_ORDERS``, the oldest dropped first)."""
        if len(self.orders) >= MAX_RECORDED_ORDERS:
            del self.orders[next(iter(self.orders))]
        self.orders[inputs] = array("q", order)


def generate_witness(
    num_wires: int,
    num_rows: int,
    classes: Mapping[Target, Sequence[Target]],
    generators: Sequence[Generator],
    inputs: Mapping[Target, int],
    plan: WitnessPlan | None = None,
) -> Witness:
    """A witness with ``inputs`` set and every generator run (copy classes from ``CopyClasses.classes()``).

    ``plan`` (for these classes and generators) is reused and extended across calls.
    """
    plan = plan if plan is not None else WitnessPlan(classes)
    w = Witness(num_wires, num_rows, plan.members)
    with gc_paused():
        for t, v in inputs.items():
            w.set(t, v % field.P)
        key = frozenset(inputs)
        order = plan.orders.get(key)
        if order is None:
            plan.record(key, run_generators(generators, w))
        else:
            run_in_order(generators, order, w)
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


def run_generators(generators: Sequence[Generator], w: Witness) -> list[int]:
    """Run every generator once, each as soon as all its dependencies are set.

    Setting a target sets its whole copy class and reports every member in
    ``w.newly_set``, so generators wait on their dependency targets themselves.
    Raises ValueError naming a stuck generator if some dependency can never be set.
    Returns the indices of the generators in the order they ran.
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
    order: list[int] = []
    newly_set = w.newly_set
    while ready:
        i = ready.pop()
        newly_set.clear()
        generators[i].run(w)
        order.append(i)
        hits: Collection[Target] = waiting.keys() & newly_set  # most newly set cells have no waiter
        if len(hits) > 1:  # wake in setting order: runs are deterministic (diagnostics name the first failure)
            hits = [t for t in newly_set if t in hits]
        for t in hits:
            for j in waiting.pop(t):
                missing[j] -= 1
                if missing[j] == 0:
                    ready.append(j)
    if len(order) != len(generators):
        stuck = next(g for g, m in zip(generators, missing, strict=True) if m > 0)
        raise ValueError(f"witness incomplete: {type(stuck).__name__} waits on targets that are never set")
    return order


def run_in_order(generators: Sequence[Generator], order: Sequence[int], w: Witness) -> None:
    """Run the generators in a recorded worklist order (:class:`WitnessPlan`)."""
    newly_set = w.newly_set
    for i in order:
        newly_set.clear()
        generators[i].run(w)
