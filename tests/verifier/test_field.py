"""verifier.field against galois GF(p) and Python ints, on edge and random inputs."""

from __future__ import annotations

import galois
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier import field
from verifier.field import NonCanonicalError, P

GF = galois.GF(P)
EDGES = [0, 1, 2, P - 1, P - 2, 2**32, 2**32 - 1, 2**32 + 1, 2**63, 2**63 - 1, 2**64 - 2**32, P - 2**32]
elements = st.one_of(st.sampled_from(EDGES), st.integers(0, P - 1))
nonzero = elements.filter(bool)


def test_constants() -> None:
    assert P == 0xFFFFFFFF00000001
    assert (P - 1) % (1 << field.TWO_ADICITY) == 0 and ((P - 1) >> field.TWO_ADICITY) % 2 == 1
    # 7 generates F_p*: 7^((p-1)/q) != 1 for every prime q dividing p - 1 = 2^32 * 3 * 5 * 17 * 257 * 65537
    assert P - 1 == 2**32 * 3 * 5 * 17 * 257 * 65537
    for q in (2, 3, 5, 17, 257, 65537):
        assert pow(field.MULTIPLICATIVE_GENERATOR, (P - 1) // q, P) != 1


@pytest.mark.parametrize("a", EDGES)
@pytest.mark.parametrize("b", EDGES)
def test_edge_pairs_match_galois(a: int, b: int) -> None:
    ga, gb = GF(a), GF(b)
    assert field.add(a, b) == int(ga + gb)
    assert field.sub(a, b) == int(ga - gb)
    assert field.mul(a, b) == int(ga * gb)
    assert field.neg(a) == int(-ga)


@given(elements, elements)
def test_random_ops_match_galois(a: int, b: int) -> None:
    ga, gb = GF(a), GF(b)
    assert field.add(a, b) == int(ga + gb)
    assert field.sub(a, b) == int(ga - gb)
    assert field.mul(a, b) == int(ga * gb)
    assert 0 <= field.add(a, b) < P and 0 <= field.sub(a, b) < P


@given(elements, st.integers(0, 2**70))
def test_power_matches_python(a: int, e: int) -> None:
    assert field.power(a, e) == pow(a, e, P)


@given(nonzero)
def test_inverse(a: int) -> None:
    inv = field.inverse(a)
    assert inv == int(GF(a) ** -1)
    assert field.mul(a, inv) == 1


def test_inverse_of_zero_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        field.inverse(0)
    with pytest.raises(ZeroDivisionError):
        field.inverse(P)


@given(st.lists(nonzero, max_size=40))
def test_batch_inverse_matches_galois(values: list[int]) -> None:
    expected = [int(x) for x in GF(values) ** -1] if values else []
    assert field.batch_inverse(values) == expected


def test_batch_inverse_names_zero_index() -> None:
    with pytest.raises(ZeroDivisionError, match="element 2"):
        field.batch_inverse([3, 5, 0, 7])


@pytest.mark.parametrize("k", range(field.TWO_ADICITY + 1))
def test_root_of_unity_has_order_exactly_2k(k: int) -> None:
    w = field.root_of_unity(k)
    assert pow(w, 1 << k, P) == 1
    if k > 0:
        assert pow(w, 1 << (k - 1), P) == P - 1  # order exactly 2^k: w^(2^(k-1)) is the root -1
        assert field.mul(w, w) == field.root_of_unity(k - 1)  # nested


@pytest.mark.parametrize("k", [-1, field.TWO_ADICITY + 1])
def test_root_of_unity_out_of_range(k: int) -> None:
    with pytest.raises(ValueError):
        field.root_of_unity(k)


@pytest.mark.parametrize("value", [P, P + 1, 2**64 - 1, 2**64, -1])
def test_canonical_rejects(value: int) -> None:
    with pytest.raises(NonCanonicalError):
        field.canonical(value)


@pytest.mark.parametrize("value", [0, 1, P - 1, 2**63])
def test_bytes_round_trip(value: int) -> None:
    encoded = field.to_bytes(value)
    assert encoded == value.to_bytes(8, "little")
    assert field.from_bytes(encoded) == value


@pytest.mark.parametrize("value", [P, P + 1, 2**64 - 2**32 + 5, 2**64 - 1])
def test_from_bytes_rejects_non_canonical(value: int) -> None:
    with pytest.raises(NonCanonicalError):
        field.from_bytes(value.to_bytes(8, "little"))


@pytest.mark.parametrize("length", [0, 7, 9])
def test_from_bytes_rejects_wrong_length(length: int) -> None:
    with pytest.raises(NonCanonicalError):
        field.from_bytes(bytes(length))
