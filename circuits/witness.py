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

from prover.field_kernels import FieldArray
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
    """Values of wire cells (a dense table) and virtual targets (a dict).

    ``members[t]`` lists the class of t (only for targets in a non-trivial
    class); setting a value writes every member. A class is therefore always
    written as a whole, so re-setting a target checks one cell, not the class
    (the zero constant's class can hold thousands of cells).

    Cells are stored row-major, indexed by the target itself, and read and
    written through a ``memoryview`` (a tenth of the cost of numpy scalar
    indexing); :attr:`wires` is the ``(num_wires, num_rows)`` view the prover
    takes (writes to it are seen by the witness).
    """

    def __init__(self, num_wires: int, num_rows: int, members: Mapping[Target, Sequence[Target]]) -> None:
        self.num_wires = num_wires
        self.num_rows = num_rows
        self._cells = np.zeros(num_rows * num_wires, dtype=np.uint64)
        self._values = memoryview(self._cells)  # type: ignore[arg-type]
        self._known = bytearray(num_rows * num_wires)
        self.virtual: dict[Target, int] = {}
        self._members = members
        self._in_class = bytearray(num_rows * num_wires)
        for t in members:
            if t >= 0:
                self._in_class[t] = 1
        self.newly_set: list[Target] = []

    @property
    def wires(self) -> np.ndarray:
        """The wire table, column i = wire i (a view of the cells, not a copy)."""
        return self._cells.reshape(self.num_rows, self.num_wires).T

    def _describe(self, t: Target) -> str:
        if t < 0:
            return f"virtual target {t}"
        row, col = divmod(t, self.num_wires)
        return f"wire (row {row}, column {col})"

    def is_set(self, t: Target) -> bool:
        if t < 0:
            return t in self.virtual
        return bool(self._known[t])

    def get(self, t: Target) -> int:
        value = self.virtual.get(t) if t < 0 else (self._values[t] if self._known[t] else None)
        if value is None:
            raise UnsetTargetError(f"{self._describe(t)} has no value yet")
        return value

    def get_many(self, targets: Iterable[Target]) -> list[int]:
        return [self.get(t) for t in targets]

    def set(self, t: Target, value: int) -> None:
        """Assign a canonical value to t and its whole copy class."""
        if not 0 <= value < P:
            raise ValueError(f"witness value {value} is not a canonical field element")
        old = self.virtual.get(t) if t < 0 else (self._values[t] if self._known[t] else None)
        if old is not None:
            if old != value:
                raise WitnessConflictError(f"{self._describe(t)}: {old} != {value}")
            return
        members = self._members.get(t, (t,))
        for m in members:
            if m < 0:
                self.virtual[m] = value
            else:
                self._values[m] = value
                self._known[m] = 1
        self.newly_set.extend(members)

    def set_many(self, targets: Iterable[Target], values: Iterable[int]) -> None:
        for t, v in zip(targets, values, strict=True):
            self.set(t, v)

    def set_cells(self, start: Target, values: FieldArray) -> None:
        """Set the consecutive wire cells start, start + 1, ... (columns of one row) to canonical ``values``.

        When none of the cells is set yet or copy-constrained (a gate's advice wires), this is one
        vectorized write; otherwise it is ``set_many``.
        """
        stop = start + len(values)
        if any(self._in_class[start:stop]) or any(self._known[start:stop]):
            self.set_many(range(start, stop), values.tolist())
            return
        if len(values) and int(values.max()) >= P:
            raise ValueError("witness values must be canonical field elements")
        self._cells[start:stop] = values
        self._known[start:stop] = b"\x01" * (stop - start)
        self.newly_set.extend(range(start, stop))
