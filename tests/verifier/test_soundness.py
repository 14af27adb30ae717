"""Soundness figures recomputed from a key: conjectured and proven (Johnson bound), and weak-key refusal."""

from __future__ import annotations

import dataclasses

import pytest

from verifier.config import PROVEN_100_CONFIG, SHRINK_CONFIG, STANDARD_CONFIG, ProofConfig
from verifier.gates import ArithmeticGate, PublicInputGate
from verifier.proof import CommonData, VerifierKey
from verifier.soundness import MIN_SECURITY_BITS, WeakKeyError, require_documented_security, soundness


def common(config: ProofConfig = STANDARD_CONFIG, degree_bits: int = 13) -> CommonData:
    return CommonData(config, degree_bits, (ArithmeticGate(20), PublicInputGate()), 17)


def key(config: ProofConfig, degree_bits: int = 13) -> VerifierKey:
    return VerifierKey(((0, 0, 0, 0),) * (1 << config.cap_height), common(config, degree_bits))


def test_standard_configuration_is_100_bits_conjectured_and_58_proven() -> None:
    figures = soundness(common())
    assert figures.conjectured_query_bits == 28 * 3 + 16 == 100
    assert figures.proven_query_bits == 28 * 3 / 2 + 16 == 58
    assert figures.conjectured_bits == 100 and figures.proven_bits == 58


def test_the_batching_term_is_about_2_to_the_minus_97_at_2_to_the_20_rows() -> None:
    small, large = soundness(common(degree_bits=13)), soundness(common(degree_bits=20))
    assert 103 < small.algebraic_bits < 105
    assert 96.5 < large.algebraic_bits < 97.5
    assert large.conjectured_bits == large.algebraic_bits < MIN_SECURITY_BITS


def test_the_named_configuration_reaches_100_proven_bits_up_to_2_to_the_16_rows() -> None:
    for degree_bits in (12, 13, 16):
        assert soundness(common(PROVEN_100_CONFIG, degree_bits)).proven_bits >= 100
    assert soundness(common(PROVEN_100_CONFIG, 17)).proven_bits < 100


def test_the_shrinking_configuration_keeps_100_conjectured_bits_and_proves_more_than_the_standard() -> None:
    """The block proof's configuration at the block circuit's 2^12 rows: 11 queries at rate 1/128."""
    figures = soundness(common(SHRINK_CONFIG, degree_bits=12))
    assert figures.conjectured_query_bits == 11 * 7 + 23 == 100
    assert figures.proven_query_bits == 11 * 7 / 2 + 23 == 61.5
    assert 100 < figures.algebraic_bits < 101  # the batching term over the 2^19-point LDE domain
    assert figures.conjectured_bits == 100
    assert figures.proven_bits > soundness(common()).proven_bits == 58
    assert require_documented_security(key(SHRINK_CONFIG, 12)) == figures


@pytest.mark.parametrize(
    ("change", "bits"),
    [({"num_queries": 20}, 76), ({"pow_bits": 0}, 84), ({"rate_bits": 2, "max_constraint_degree": 4}, 72)],
)
def test_a_weak_key_is_refused_with_its_computed_figure(change: dict[str, int], bits: int) -> None:
    weak = dataclasses.replace(STANDARD_CONFIG, **change)
    with pytest.raises(WeakKeyError, match=f"gives {bits}.0 bits of conjectured security"):
        require_documented_security(key(weak))
    assert require_documented_security(key(STANDARD_CONFIG)).conjectured_bits == 100
