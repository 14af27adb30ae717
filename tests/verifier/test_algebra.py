"""The algebra contract: the default composite operations equal their formulas on the native Ext."""

from __future__ import annotations

import random

from verifier.algebra import AlgebraDefaults
from verifier.extension import Ext
from verifier.field import P
from verifier.poseidon2 import WIDTH, external_linear_layer, internal_linear_layer

R = random.Random(11)


def _ext() -> Ext:
    return Ext(R.randrange(P), R.randrange(P))


def test_mul_add_and_reduce_powers_defaults() -> None:
    a, b, c = _ext(), _ext(), _ext()
    assert a.mul_add(b, c) == a * b + c
    terms = [_ext() for _ in range(5)]
    assert a.reduce_powers(terms) == sum((t * a**j for j, t in enumerate(terms)), Ext(0))


def test_ext_reduce_base_override_equals_the_default() -> None:
    alpha = _ext()
    values = [R.randrange(P) for _ in range(40)]
    assert alpha.reduce_base(values) == AlgebraDefaults.reduce_base(alpha, values)
    assert alpha.reduce_base([]) == 0


def test_poseidon2_layers_act_coordinatewise_on_ext() -> None:
    state = [_ext() for _ in range(WIDTH)]
    for layer in (external_linear_layer, internal_linear_layer):
        by_coordinates = zip(layer([s.a0 for s in state]), layer([s.a1 for s in state]), strict=True)
        assert layer(state) == [Ext(a0, a1) for a0, a1 in by_coordinates]
