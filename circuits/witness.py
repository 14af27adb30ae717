"""Targets, copy-constraint classes and the partial witness.

A *target* is an int naming one value of the circuit:

* ``t >= 0`` is the wire cell (row, column) = divmod(t, num_wires);
* ``t < 0`` is a virtual target (a value that lives in no wire, e.g. a hint
  before it is copied into gates).

Copy constraints partition targets into classes; every member of a class
takes the same value. Setting any member sets them all, and setting two
different values in one class is a :class:`WitnessConflictError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from verifier.field import P

Target = int


class WitnessConflictError(ValueError):
    """Two different values were assigned to copy-constrained targets."""


class UnsetTargetError(KeyError):
    """A generator read a target whose value is not known yet."""


class CopyClasses:
    """Union-find over targets, frozen into explicit member lists at build time."""

    def __init__(self) -> None:
        self._parent: dict[Target, Target] = {}

    def find(self, t: Target) -> Target:
        parent = self._parent
        root = t
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(t, t) != root:
            parent[t], t = root, parent[t]
        return root

    def union(self, a: Target, b: Target) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[ra] = rb
            self._parent.setdefault(rb, rb)
            self._parent.setdefault(a, rb)

    def classes(self) -> dict[Target, list[Target]]:
        """Representative -> members, for every class with at least two members."""
        groups: dict[Target, list[Target]] = {}
        for t in self._parent:
            groups.setdefault(self.find(t), []).append(t)
        return {r: sorted(m) for r, m in groups.items() if len(m) > 1}


class Witness:
    """Values of wire cells (a dense matrix) and virtual targets (a dict).

    ``members[t]`` lists the class of t (only for targets in a non-trivial
    class); setting a value writes every member.
    """

    def __init__(self, num_wires: int, num_rows: int, members: Mapping[Target, Sequence[Target]]) -> None:
        self.num_wires = num_wires
        self.num_rows = num_rows
        self.wires = np.zeros((num_wires, num_rows), dtype=np.uint64)
        self.wire_set = np.zeros((num_wires, num_rows), dtype=bool)
        self.virtual: dict[Target, int] = {}
        self._members = members
        self.newly_set: list[Target] = []

    def _cell(self, t: Target) -> tuple[int, int]:
        row, col = divmod(t, self.num_wires)
        return col, row

    def is_set(self, t: Target) -> bool:
        if t < 0:
            return t in self.virtual
        col, row = self._cell(t)
        return bool(self.wire_set[col, row])

    def get(self, t: Target) -> int:
        if t < 0:
            try:
                return self.virtual[t]
            except KeyError:
                raise UnsetTargetError(f"virtual target {t} has no value yet") from None
        col, row = self._cell(t)
        if not self.wire_set[col, row]:
            raise UnsetTargetError(f"wire (row {row}, column {col}) has no value yet")
        return int(self.wires[col, row])

    def get_many(self, targets: Iterable[Target]) -> list[int]:
        return [self.get(t) for t in targets]

    def _write(self, t: Target, value: int) -> None:
        if t < 0:
            old = self.virtual.get(t)
            if old is None:
                self.virtual[t] = value
                self.newly_set.append(t)
            elif old != value:
                raise WitnessConflictError(f"virtual target {t}: {old} != {value}")
            return
        col, row = self._cell(t)
        if self.wire_set[col, row]:
            old_wire = int(self.wires[col, row])
            if old_wire != value:
                raise WitnessConflictError(f"wire (row {row}, column {col}): {old_wire} != {value}")
            return
        self.wires[col, row] = value
        self.wire_set[col, row] = True
        self.newly_set.append(t)

    def set(self, t: Target, value: int) -> None:
        """Assign a canonical value to t and its whole copy class."""
        if not 0 <= value < P:
            raise ValueError(f"witness value {value} is not a canonical field element")
        for member in self._members.get(t, (t,)):
            self._write(member, value)

    def set_many(self, targets: Sequence[Target], values: Sequence[int]) -> None:
        for t, v in zip(targets, values, strict=True):
            self.set(t, v)
