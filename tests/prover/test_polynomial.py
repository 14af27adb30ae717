"""prover.polynomial against the verifier's scalar versions and Horner evaluation with Ext."""

from __future__ import annotations

import numpy as np
import pytest

from prover.field_kernels import ExtArray, FieldArray, ext_to_elements
from prover.polynomial import (
    PolyCoeffs,
    PolyEvals,
    barycentric_at,
    domain_points,
    evaluate_at,
    lagrange_on_coset,
    vanishing_on_coset,
)
from verifier import polynomial as vpoly
from verifier.extension import Ext, reduce_with_powers
from verifier.field import MULTIPLICATIVE_GENERATOR, P
from verifier.polynomial import Coset

RNG = np.random.default_rng(11)
Z = Ext(0x1234_5678_9ABC_DEF0, 0x0FED_CBA9_8765_4321)


def rand(*shape: int) -> FieldArray:
    return RNG.integers(0, P, size=shape, dtype=np.uint64)


def horner(coeffs: FieldArray, z: Ext) -> Ext:
    return reduce_with_powers(coeffs.tolist(), z)


def elements(a: ExtArray) -> list[Ext]:
    return ext_to_elements(a)


def test_types_validate_their_arrays() -> None:
    with pytest.raises(ValueError):
        PolyCoeffs(rand(8))  # not a batch
    with pytest.raises(ValueError):
        PolyCoeffs(rand(2, 6))  # not a power of two
    with pytest.raises(ValueError):
        PolyCoeffs(rand(2, 8).astype(np.int64))
    with pytest.raises(ValueError):
        PolyEvals(rand(2, 8), Coset(4))  # size mismatch
    polys = PolyCoeffs(rand(3, 16))
    assert (polys.num_polys, polys.size) == (3, 16)


@pytest.mark.parametrize(("rate_bits", "shift"), [(0, 1), (0, 5), (2, MULTIPLICATIVE_GENERATOR), (3, 1)])
def test_to_evals_and_back(rate_bits: int, shift: int) -> None:
    polys = PolyCoeffs(rand(3, 32))
    evals = polys.to_evals(rate_bits, shift)
    assert evals.domain == Coset(5 + rate_bits, shift)
    assert evals.num_polys == 3
    points = domain_points(evals.domain).tolist()
    for i in (0, 1, len(points) - 1):
        assert evals.values[1, i] == horner(polys.coeffs[1], Ext(points[i]))
    back = evals.to_coeffs()
    assert np.array_equal(back.coeffs[:, :32], polys.coeffs)
    assert not back.coeffs[:, 32:].any()


def test_domain_points() -> None:
    domain = Coset(5, MULTIPLICATIVE_GENERATOR)
    assert domain_points(domain).tolist() == domain.elements()


@pytest.mark.parametrize("size", [1, 2, 64, 1 << 12])
def test_evaluate_at_matches_horner(size: int) -> None:
    polys = PolyCoeffs(rand(5, size))
    got = elements(evaluate_at(polys, Z))
    assert got == [horner(polys.coeffs[k], Z) for k in range(5)]
    assert elements(evaluate_at(polys, Ext(3)))[0] == horner(polys.coeffs[0], Ext(3))


@pytest.mark.parametrize(("log_n", "shift"), [(0, 1), (3, 1), (4, MULTIPLICATIVE_GENERATOR), (6, 2**33 + 1)])
def test_barycentric_matches_verifier_and_coefficients(log_n: int, shift: int) -> None:
    polys = PolyCoeffs(rand(4, 1 << log_n))
    evals = polys.to_evals(0, shift)
    got = elements(barycentric_at(evals, Z))
    assert got == [horner(polys.coeffs[k], Z) for k in range(4)]
    assert got[2] == vpoly.barycentric_at(evals.values[2].tolist(), evals.domain, Z)


def test_barycentric_at_a_domain_point() -> None:
    evals = PolyEvals(rand(3, 16), Coset(4, 3))
    x = int(domain_points(evals.domain)[9])
    got = barycentric_at(evals, Ext(x))
    assert np.array_equal(got.c0, evals.values[:, 9]) and not got.c1.any()
    outside = barycentric_at(evals, Ext(x + 1))  # a base point off the domain takes the formula
    assert elements(outside)[0] == vpoly.barycentric_at(evals.values[0].tolist(), evals.domain, x + 1)


@pytest.mark.parametrize(
    ("log_n", "domain"),
    [(3, Coset(5, MULTIPLICATIVE_GENERATOR)), (4, Coset(4)), (2, Coset(6, 9)), (5, Coset(3, MULTIPLICATIVE_GENERATOR))],
)
def test_vanishing_on_coset_matches_verifier(log_n: int, domain: Coset) -> None:
    got = vanishing_on_coset(log_n, domain).tolist()
    assert got == [vpoly.vanishing_at(log_n, x) for x in domain.elements()]


def test_vanishing_on_lde_coset_is_periodic_and_nonzero() -> None:
    """On 7H' with |H'| = 8|H|, Z_H takes 8 distinct nonzero values, repeating with period 8."""
    values = vanishing_on_coset(4, Coset(7, MULTIPLICATIVE_GENERATOR))
    assert values.all()
    assert np.array_equal(values[:8], values[8:16])
    assert len(set(values[:8].tolist())) == 8


@pytest.mark.parametrize("i", [0, 1, 5])
@pytest.mark.parametrize("domain", [Coset(5, MULTIPLICATIVE_GENERATOR), Coset(3), Coset(5), Coset(2)])
def test_lagrange_on_coset_matches_verifier(i: int, domain: Coset) -> None:
    got = lagrange_on_coset(3, i, domain).tolist()
    assert got == [vpoly.lagrange_at(3, i, x) for x in domain.elements()]


def test_lagrange_on_subgroup_is_indicator() -> None:
    values = lagrange_on_coset(4, 3, Coset(4))
    assert values.tolist() == [int(j == 3) for j in range(16)]
