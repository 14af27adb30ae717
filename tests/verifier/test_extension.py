"""verifier.extension against an independent oracle: galois polynomials over GF(p) modulo X^2 - 7."""

from __future__ import annotations

import galois
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.extension import ONE, ZERO, Ext, W, ext_batch_inverse, ext_sum, reduce_with_powers
from verifier.field import NonCanonicalError, P

GF = galois.GF(P)
MODULUS = galois.Poly([1, 0, P - W], field=GF)  # X^2 - 7
EDGES = [0, 1, P - 1, P - 2, 2**32, 2**32 - 1, 2**63]
coords = st.one_of(st.sampled_from(EDGES), st.integers(0, P - 1))
exts = st.builds(Ext, coords, coords)
nonzero_exts = exts.filter(lambda x: x != ZERO)


def oracle_mul(a: Ext, b: Ext) -> Ext:
    """(a0 + a1 X)(b0 + b1 X) mod (X^2 - 7), computed by galois polynomial arithmetic."""
    product = galois.Poly([a.a1, a.a0], field=GF) * galois.Poly([b.a1, b.a0], field=GF) % MODULUS
    c = [int(x) for x in product.coeffs[::-1]] + [0, 0]  # ascending powers, padded
    return Ext(c[0], c[1])


def test_seven_is_a_non_residue() -> None:
    assert pow(W, (P - 1) // 2, P) == P - 1
    assert MODULUS.is_irreducible()


@given(exts, exts)
def test_mul_matches_oracle(a: Ext, b: Ext) -> None:
    assert a * b == oracle_mul(a, b)


@pytest.mark.parametrize("a0", EDGES)
@pytest.mark.parametrize("a1", EDGES)
def test_edge_mul_and_square(a0: int, a1: int) -> None:
    a = Ext(a0, a1)
    b = Ext(a1, P - 1 - a0)
    assert a * b == oracle_mul(a, b)
    assert a.square() == oracle_mul(a, a)


@given(exts, exts)
def test_add_sub_neg(a: Ext, b: Ext) -> None:
    s = a + b
    assert (s.a0, s.a1) == ((a.a0 + b.a0) % P, (a.a1 + b.a1) % P)
    assert s - b == a
    assert -a + a == ZERO
    assert 5 - a == Ext(5) - a and a - 5 == a + Ext(P - 5)


@given(nonzero_exts)
def test_inverse_and_division(a: Ext) -> None:
    inv = a.inverse()
    assert oracle_mul(a, inv) == ONE
    assert a / a == ONE
    assert 1 / a == inv
    assert a**-3 == (a * a * a).inverse()


def test_inverse_of_zero_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        ZERO.inverse()


@given(exts, st.integers(0, 300))
def test_pow_matches_repeated_multiplication(a: Ext, e: int) -> None:
    expected = ONE
    for _ in range(e % 17):
        expected = oracle_mul(expected, a)
    assert a ** (e % 17) == expected
    assert a**e == (a ** (e // 2)) ** 2 * (a if e % 2 else ONE)


def test_frobenius_has_order_two() -> None:
    """x^p is the conjugate a0 - a1 X (X^p = 7^((p-1)/2) X = -X), an independent check of the field structure."""
    a = Ext(123456789, 987654321)
    assert a**P == Ext(a.a0, P - a.a1)


def test_base_mixing_and_equality() -> None:
    a = Ext(3, 4)
    assert a * 2 == 2 * a == Ext(6, 8)
    assert Ext(5) == 5 and Ext(5, 1) != 5
    assert Ext(P + 2, -1) == Ext(2, P - 1)
    assert hash(Ext(1, 2)) == hash(Ext(1 + P, 2))
    assert Ext.lift(9) == Ext(9) and Ext(9).is_base() and not a.is_base()


@pytest.mark.parametrize(("a0", "a1"), [(P, 0), (0, P), (2**64 - 1, 0), (-1, 0)])
def test_from_canonical_rejects(a0: int, a1: int) -> None:
    with pytest.raises(NonCanonicalError):
        Ext.from_canonical(a0, a1)


@given(st.lists(nonzero_exts, max_size=20))
def test_batch_inverse(values: list[Ext]) -> None:
    assert ext_batch_inverse(values) == [v.inverse() for v in values]


@given(st.lists(exts, max_size=20), exts)
def test_reduce_with_powers_and_sum(values: list[Ext], alpha: Ext) -> None:
    expected = ZERO
    power = ONE
    for v in values:
        expected = expected + oracle_mul(v, power)
        power = oracle_mul(power, alpha)
    assert reduce_with_powers(values, alpha) == expected
    assert ext_sum([*values, 7]) == sum(values, ZERO) + 7
