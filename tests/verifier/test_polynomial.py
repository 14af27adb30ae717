"""verifier.polynomial: cosets, Z_H, Lagrange basis and barycentric evaluation against direct definitions."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.extension import Ext, reduce_with_powers
from verifier.field import MULTIPLICATIVE_GENERATOR, P, root_of_unity
from verifier.polynomial import Coset, barycentric_at, lagrange_at, log2_exact, vanishing_at

coords = st.integers(0, P - 1)
ext_points = st.builds(Ext, coords, coords.filter(bool))  # a1 != 0: never in a base-field coset
log_sizes = st.integers(0, 5)


def test_coset_basics() -> None:
    c = Coset(3, 5)
    w = root_of_unity(3)
    assert c.size == 8 and c.generator == w
    assert c.elements() == [5 * pow(w, i, P) % P for i in range(8)]
    assert c.element(11) == c.elements()[3]
    assert Coset(0).elements() == [1]
    assert len(set(Coset(6, MULTIPLICATIVE_GENERATOR).elements()) & set(Coset(6).elements())) == 0


@pytest.mark.parametrize(("log_size", "shift"), [(-1, 1), (33, 1), (2, 0), (2, P), (2, -1)])
def test_coset_rejects_bad_parameters(log_size: int, shift: int) -> None:
    with pytest.raises(ValueError):
        Coset(log_size, shift)


@pytest.mark.parametrize(("n", "k"), [(1, 0), (2, 1), (1024, 10), (2**32, 32)])
def test_log2_exact(n: int, k: int) -> None:
    assert log2_exact(n) == k


@pytest.mark.parametrize("n", [0, -4, 3, 6, 2**33])
def test_log2_exact_rejects(n: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        log2_exact(n)


@pytest.mark.parametrize("log_n", range(6))
def test_vanishing_is_zero_exactly_on_h(log_n: int) -> None:
    for x in Coset(log_n).elements():
        assert vanishing_at(log_n, x) == 0
    for x in Coset(log_n, MULTIPLICATIVE_GENERATOR).elements():
        assert vanishing_at(log_n, x) == pow(x, 1 << log_n, P) - 1 != 0


@given(log_sizes, ext_points)
def test_vanishing_at_ext_point(log_n: int, z: Ext) -> None:
    product = Ext(1)  # prod_i (z - omega^i)
    for x in Coset(log_n).elements():
        product = product * (z - x)
    assert vanishing_at(log_n, z) == product == z ** (1 << log_n) - 1


@pytest.mark.parametrize("log_n", range(5))
def test_lagrange_is_the_indicator_on_h(log_n: int) -> None:
    points = Coset(log_n).elements()
    for i in range(len(points)):
        assert [lagrange_at(log_n, i, x) for x in points] == [Ext(int(i == j)) for j in range(len(points))]


@given(log_sizes, ext_points)
def test_lagrange_matches_product_definition(log_n: int, z: Ext) -> None:
    points = Coset(log_n).elements()
    i = len(points) // 2
    expected = Ext(1)  # prod_{j != i} (z - x_j) / (x_i - x_j)
    for j, x in enumerate(points):
        if j != i:
            expected = expected * (z - x) / (points[i] - x)
    assert lagrange_at(log_n, i, z) == expected
    assert sum((lagrange_at(log_n, k, z) for k in range(len(points))), Ext(0)) == 1  # partition of unity


@given(log_sizes, st.sampled_from([1, MULTIPLICATIVE_GENERATOR, P - 1, 2**40 + 1]), ext_points, st.randoms())
def test_barycentric_matches_horner(log_n: int, shift: int, z: Ext, rnd: random.Random) -> None:
    domain = Coset(log_n, shift)
    coeffs = [rnd.randrange(P) for _ in range(domain.size)]
    values = [sum(c * pow(x, j, P) for j, c in enumerate(coeffs)) % P for x in domain.elements()]
    assert barycentric_at(values, domain, z) == reduce_with_powers(coeffs, z)


def test_barycentric_with_ext_values_and_base_point() -> None:
    domain = Coset(2, MULTIPLICATIVE_GENERATOR)
    coeffs = [Ext(1, 2), Ext(3, 4), Ext(5, 6), Ext(7, 8)]
    values = [reduce_with_powers(coeffs, Ext(x)) for x in domain.elements()]
    for z in (Ext(12345), Ext(9, 10)):
        assert barycentric_at(values, domain, z) == reduce_with_powers(coeffs, z)


def test_barycentric_at_a_domain_point_returns_the_value() -> None:
    domain = Coset(3, 3)
    values = list(range(100, 108))
    for i, x in enumerate(domain.elements()):
        assert barycentric_at(values, domain, x) == values[i]


def test_barycentric_rejects_wrong_length() -> None:
    with pytest.raises(ValueError):
        barycentric_at([1, 2, 3], Coset(2), Ext(5, 1))
