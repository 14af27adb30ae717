"""Operator-overloading vectors so the generic constraint code runs on whole columns.

``FieldVec`` wraps a field array (values of a base polynomial on the LDE
coset), ``ExtVec`` an extension array. Both mix with Python ints, ``Ext``
scalars and each other exactly as the algebra contract (``verifier.algebra``)
requires; a product of a base vector and an extension value is an ``ExtVec``.
The composite operations (``mul_add``, ``reduce_powers``, ...) are the contract's
defaults: on whole columns they are already one numpy pass per step.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from prover import field_kernels as fk
from prover.field_kernels import ExtArray, FieldArray
from verifier.algebra import AlgebraDefaults
from verifier.extension import Ext
from verifier.field import P

Operand = Union["FieldVec", "ExtVec", Ext, int]


class FieldVec(AlgebraDefaults):
    """A vector of base-field values."""

    __slots__ = ("a",)

    def __init__(self, a: FieldArray) -> None:
        self.a = a

    def _lift(self) -> ExtVec:
        return ExtVec(ExtArray(self.a, np.zeros_like(self.a)))

    def __add__(self, other: Operand) -> FieldVec | ExtVec:
        if isinstance(other, FieldVec):
            return FieldVec(fk.add(self.a, other.a))
        if isinstance(other, int):
            return FieldVec(fk.add(self.a, other % P))
        return ExtVec.coerce(other) + self

    __radd__ = __add__

    def __sub__(self, other: Operand) -> FieldVec | ExtVec:
        if isinstance(other, FieldVec):
            return FieldVec(fk.sub(self.a, other.a))
        if isinstance(other, int):
            return FieldVec(fk.sub(self.a, other % P))
        if isinstance(other, ExtVec):  # (a - b0) - b1 u
            return ExtVec(ExtArray(fk.sub(self.a, other.e.c0), fk.neg(other.e.c1)))
        return self._lift() - other

    def __rsub__(self, other: int | Ext) -> FieldVec | ExtVec:
        if isinstance(other, int):
            return FieldVec(fk.sub(other % P, self.a))
        return ExtVec.coerce(other) - self

    def __neg__(self) -> FieldVec:
        return FieldVec(fk.neg(self.a))

    def __mul__(self, other: Operand) -> FieldVec | ExtVec:
        if isinstance(other, FieldVec):
            return FieldVec(fk.mul(self.a, other.a))
        if isinstance(other, int):
            return FieldVec(fk.mul(self.a, other % P))
        if isinstance(other, Ext):
            return ExtVec(ExtArray(fk.mul(self.a, other.a0), fk.mul(self.a, other.a1)))
        return other * self

    __rmul__ = __mul__


class ExtVec(AlgebraDefaults):
    """A vector of F_p2 values."""

    __slots__ = ("e",)

    def __init__(self, e: ExtArray) -> None:
        self.e = e

    @staticmethod
    def coerce(x: Operand) -> ExtVec:
        if isinstance(x, ExtVec):
            return x
        if isinstance(x, FieldVec):
            return x._lift()
        raise TypeError(f"cannot use {type(x).__name__} as an extension vector here")

    def _other(self, other: Operand) -> ExtArray | Ext:
        if isinstance(other, ExtVec):
            return other.e
        if isinstance(other, FieldVec):
            return other._lift().e
        if isinstance(other, int):
            return Ext(other)
        return other

    def __add__(self, other: Operand) -> ExtVec:
        if isinstance(other, FieldVec):  # a base vector only changes c0
            return ExtVec(ExtArray(fk.add(self.e.c0, other.a), self.e.c1))
        return ExtVec(fk.ext_add(self.e, self._other(other)))

    __radd__ = __add__

    def __sub__(self, other: Operand) -> ExtVec:
        if isinstance(other, FieldVec):
            return ExtVec(ExtArray(fk.sub(self.e.c0, other.a), self.e.c1))
        return ExtVec(fk.ext_sub(self.e, self._other(other)))

    def __rsub__(self, other: Operand) -> ExtVec:
        return -self + other

    def __neg__(self) -> ExtVec:
        return ExtVec(ExtArray(fk.neg(self.e.c0), fk.neg(self.e.c1)))

    def __mul__(self, other: Operand) -> ExtVec:
        if isinstance(other, FieldVec):
            return ExtVec(fk.ext_mul_base(self.e, other.a))
        if isinstance(other, int):
            return ExtVec(fk.ext_mul_base(self.e, other % P))
        return ExtVec(fk.ext_mul(self.e, self._other(other)))

    __rmul__ = __mul__
