"""The gate interface: constraints written once, evaluated over any algebra.

A gate constrains the wires and constants of one row. Its constraints are
polynomials C_j(w_0, ..., w_{W-1}, c_0, ..., c_{K-1}) that must vanish on every
row where the gate's selector is 1. They are written against the algebra
contract of ``verifier.algebra``: values of one type ``T`` supporting ``+``,
``-``, ``*`` with each other and with Python ints. Three algebras implement it:

* the prover: numpy vectors of a polynomial's values over the LDE coset;
* the native verifier: ``Ext`` values, the openings at the challenge zeta;
* the recursive verifier: extension targets of a circuit being built.

so the three evaluations agree by construction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from verifier.algebra import Algebra

T = TypeVar("T", bound=Algebra)


@dataclass(frozen=True)
class GateVars(Generic[T]):
    """The values a gate's constraints see on one row (or on all rows at once)."""

    wires: Sequence[T]
    constants: Sequence[T]
    public_inputs_hash: Sequence[T]


class Gate(ABC):
    """A gate type. Subclasses are immutable; equal parameters mean equal gates."""

    @property
    @abstractmethod
    def name(self) -> str:
        """A stable identifier including the parameters, e.g. ``Arithmetic(20)``."""

    @property
    @abstractmethod
    def num_wires(self) -> int:
        """Wires used (columns 0..num_wires-1 of the row)."""

    @property
    def num_constants(self) -> int:
        """Constant columns used."""
        return 0

    @property
    @abstractmethod
    def degree(self) -> int:
        """Maximum total degree of the constraints in wires and constants (selector excluded)."""

    @property
    @abstractmethod
    def num_constraints(self) -> int:
        """Number of constraint polynomials."""

    @abstractmethod
    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        """The constraint values; all zero on a satisfying row."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Gate) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return self.name


def select(bit: T, if_zero: T, if_one: T) -> T:
    """if_zero + bit * (if_one - if_zero): equals if_one when bit = 1, if_zero when bit = 0 (degree +1)."""
    return if_zero + bit * (if_one - if_zero)
