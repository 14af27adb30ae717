"""The algebra contract: what the generic proof-system code needs from a value type.

The vanishing polynomial (``verifier.vanishing``), FRI's initial combination
(``verifier.fri``), the gates (``verifier.gates``) and Poseidon2's linear layers
(``verifier.poseidon2``) are written once against this interface and run over
three algebras:

* the prover: ``prover.algebra.FieldVec`` / ``ExtVec``, whole columns on the LDE coset;
* the native verifier: ``verifier.extension.Ext``, the openings at zeta;
* the recursive verifier: ``circuits.recursion.ext_value.ExtValue``, targets of a circuit.

Besides ``+ - *`` (with each other and with Python ints) the contract has four
composite operations. :class:`AlgebraDefaults` defines each by its formula, so an
algebra gets it for free; an algebra overrides one when it can compute the same
value more cheaply (the circuit places one reducing or linear-layer row instead
of many ops, the native ``Ext`` reduces base ints on coordinates):

    a.mul_add(b, c)                     = a * b + c
    alpha.reduce_powers([t_0..t_{n-1}]) = sum_j alpha^j t_j          (Horner)
    alpha.reduce_base([v_0..v_{n-1}])   = sum_i alpha^i v_i          (v_i base-field values)
    s_0.poseidon2_linear_layer(s, ext)  = M_E . s if ext else M_I . s  (s = 12 values)

Code that only the verifiers run (FRI's batching, the quotient at zeta) also divides
and takes powers: it is typed with :class:`PointAlgebra`, which ``Ext`` and ``ExtValue``
satisfy and the prover's column vectors need not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from verifier.poseidon2 import external_layer_formula, internal_layer_formula


class Algebra(Protocol):
    """What a value type must support to run the generic constraint and verifier code."""

    def __add__(self, other: Any) -> Any: ...
    def __radd__(self, other: Any) -> Any: ...
    def __sub__(self, other: Any) -> Any: ...
    def __rsub__(self, other: Any) -> Any: ...
    def __mul__(self, other: Any) -> Any: ...
    def __rmul__(self, other: Any) -> Any: ...
    def __neg__(self) -> Any: ...

    def mul_add(self, factor: Any, addend: Any) -> Any:
        """self * factor + addend."""
        ...

    def reduce_powers(self, terms: Sequence[Any]) -> Any:
        """sum_j self^j terms_j (self is the batching challenge)."""
        ...

    def reduce_base(self, values: Sequence[Any]) -> Any:
        """sum_i self^i values_i for base-field values (ints natively, base targets in a circuit)."""
        ...

    def poseidon2_linear_layer(self, state: Sequence[Any], external: bool) -> list[Any]:
        """Poseidon2's external (M_E) or internal (M_I) linear layer of the 12 values ``state``."""
        ...


A = TypeVar("A", bound=Algebra)
"""A value type of the generic code (one algebra per evaluation)."""


class PointAlgebra(Algebra, Protocol):
    """An algebra of single F_p2 elements (the two verifiers'), which also divides and takes powers."""

    def __truediv__(self, other: Any) -> Any: ...
    def __pow__(self, exponent: int) -> Any: ...


F = TypeVar("F", bound=PointAlgebra)
"""A value type of the verifier-only generic code (``Ext`` natively, ``ExtValue`` in-circuit)."""


class AlgebraDefaults:
    """The composite operations of :class:`Algebra` by their formulas; algebras inherit and may override."""

    __slots__ = ()

    def mul_add(self: Any, factor: Any, addend: Any) -> Any:
        """self * factor + addend."""
        return self * factor + addend

    def reduce_powers(self: Any, terms: Sequence[Any]) -> Any:
        """sum_j self^j terms_j by Horner's rule from the last term."""
        acc = terms[-1]
        for t in reversed(terms[:-1]):
            acc = acc * self + t
        return acc

    def reduce_base(self: Any, values: Sequence[Any]) -> Any:
        """sum_i self^i values_i by Horner's rule from zero."""
        acc = self * 0
        for v in reversed(values):
            acc = acc * self + v
        return acc

    def poseidon2_linear_layer(self, state: Sequence[Any], external: bool) -> list[Any]:
        """M_E . state or M_I . state by the generic formulas of ``verifier.poseidon2``."""
        return external_layer_formula(state) if external else internal_layer_formula(state)
