"""Target twins of the proof structures (``Proof`` / ``ProofTarget`` and friends).

Shapes come from the inner circuit's ``CommonData``; ``set_proof_target``
writes a concrete proof into the inputs of the outer circuit.
"""

from __future__ import annotations

from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.recursion.ext_value import ExtValue
from circuits.witness import Target
from verifier.extension import Ext
from verifier.hashing import Digest
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey

Inputs = dict[Target, int]


@dataclass(frozen=True)
class OracleOpeningTarget:
    values: list[Target]
    siblings: list[DigestTarget]


@dataclass(frozen=True)
class FriStepTarget:
    evals: list[ExtValue]
    siblings: list[DigestTarget]


@dataclass(frozen=True)
class FriQueryRoundTarget:
    initial: list[OracleOpeningTarget]
    steps: list[FriStepTarget]


@dataclass(frozen=True)
class FriProofTarget:
    layer_caps: list[list[DigestTarget]]
    query_rounds: list[FriQueryRoundTarget]
    final_poly: list[ExtValue]
    pow_witness: Target


@dataclass(frozen=True)
class OpeningSetTarget:
    constants_sigmas: list[ExtValue]
    wires: list[ExtValue]
    zs_partials: list[ExtValue]
    quotient: list[ExtValue]
    zs_next: list[ExtValue]

    def at_zeta(self) -> list[ExtValue]:
        return [*self.constants_sigmas, *self.wires, *self.zs_partials, *self.quotient]

    def observed(self) -> list[ExtValue]:
        return [*self.at_zeta(), *self.zs_next]


@dataclass(frozen=True)
class ProofTarget:
    wires_cap: list[DigestTarget]
    zs_partials_cap: list[DigestTarget]
    quotient_cap: list[DigestTarget]
    openings: OpeningSetTarget
    fri: FriProofTarget


@dataclass(frozen=True)
class ProofWithPublicInputsTarget:
    proof: ProofTarget
    public_inputs: list[Target]


@dataclass(frozen=True)
class VerifierKeyTarget:
    """The preprocessed cap as targets (a witness in universal recursion, constants otherwise)."""

    constants_sigmas_cap: list[DigestTarget]


def _caps(b: CircuitBuilder, height: int) -> list[DigestTarget]:
    return [b.add_virtual_digest() for _ in range(1 << height)]


def _exts(b: CircuitBuilder, n: int) -> list[ExtValue]:
    return [ExtValue.virtual(b) for _ in range(n)]


def add_virtual_proof(b: CircuitBuilder, common: CommonData) -> ProofWithPublicInputsTarget:
    """Virtual targets for a proof of a circuit with this common data."""
    cfg = common.config
    cs, wires, zs, quotient = (_exts(b, w) for w in common.oracle_widths())
    openings = OpeningSetTarget(cs, wires, zs, quotient, zs_next=_exts(b, 2))
    initial_path = common.lde_bits - cfg.cap_height
    rounds = []
    for _ in range(cfg.num_queries):
        initial = [
            OracleOpeningTarget(b.add_virtual_targets(w), [b.add_virtual_digest() for _ in range(initial_path)])
            for w in common.leaf_widths()
        ]
        steps = []
        layer_bits = common.lde_bits
        for arity_bits in common.fri_arities:
            layer_bits -= arity_bits
            path = [b.add_virtual_digest() for _ in range(layer_bits - cfg.cap_height)]
            steps.append(FriStepTarget(_exts(b, 1 << arity_bits), path))
        rounds.append(FriQueryRoundTarget(initial, steps))
    fri = FriProofTarget(
        layer_caps=[_caps(b, cfg.cap_height) for _ in common.fri_arities],
        query_rounds=rounds,
        final_poly=_exts(b, common.final_poly_len),
        pow_witness=b.add_virtual_target(),
    )
    proof = ProofTarget(_caps(b, cfg.cap_height), _caps(b, cfg.cap_height), _caps(b, cfg.cap_height), openings, fri)
    return ProofWithPublicInputsTarget(proof, b.add_virtual_targets(common.num_public_inputs))


def add_virtual_verifier_key(b: CircuitBuilder, common: CommonData) -> VerifierKeyTarget:
    return VerifierKeyTarget(_caps(b, common.config.cap_height))


def constant_verifier_key(b: CircuitBuilder, vk: VerifierKey) -> VerifierKeyTarget:
    """A key fixed in the circuit (its cap as constants): the chain step pins the block key this way."""
    return VerifierKeyTarget([b.constant_digest(d) for d in vk.constants_sigmas_cap])


def _set_digests(inputs: Inputs, targets: list[DigestTarget], values: tuple[Digest, ...]) -> None:
    if len(targets) != len(values):
        raise ValueError(f"expected {len(targets)} digests, got {len(values)}")
    for t, v in zip(targets, values, strict=True):
        inputs.update(zip(t, v, strict=True))


def _set_exts(inputs: Inputs, targets: list[ExtValue], values: tuple[Ext, ...]) -> None:
    if len(targets) != len(values):
        raise ValueError(f"expected {len(targets)} extension elements, got {len(values)}")
    for t, v in zip(targets, values, strict=True):
        inputs[t.t[0]] = v.a0
        inputs[t.t[1]] = v.a1


def set_verifier_key_target(inputs: Inputs, target: VerifierKeyTarget, vk: VerifierKey) -> None:
    _set_digests(inputs, target.constants_sigmas_cap, vk.constants_sigmas_cap)


def set_proof_target(inputs: Inputs, target: ProofWithPublicInputsTarget, proof: ProofWithPublicInputs) -> None:
    """Write every element of ``proof`` into the outer circuit's inputs (shapes must match)."""
    if len(target.public_inputs) != len(proof.public_inputs):
        raise ValueError(f"expected {len(target.public_inputs)} public inputs, got {len(proof.public_inputs)}")
    inputs.update(zip(target.public_inputs, proof.public_inputs, strict=True))
    p, t = proof.proof, target.proof
    _set_digests(inputs, t.wires_cap, p.wires_cap)
    _set_digests(inputs, t.zs_partials_cap, p.zs_partials_cap)
    _set_digests(inputs, t.quotient_cap, p.quotient_cap)
    o, ot = p.openings, t.openings
    for targets, values in (
        (ot.constants_sigmas, o.constants_sigmas),
        (ot.wires, o.wires),
        (ot.zs_partials, o.zs_partials),
        (ot.quotient, o.quotient),
        (ot.zs_next, o.zs_next),
    ):
        _set_exts(inputs, targets, values)
    for cap_t, cap in zip(t.fri.layer_caps, p.fri.layer_caps, strict=True):
        _set_digests(inputs, cap_t, cap)
    for qt, q in zip(t.fri.query_rounds, p.fri.query_rounds, strict=True):
        for ot_, op in zip(qt.initial, q.initial, strict=True):
            inputs.update(zip(ot_.values, op.values, strict=True))
            _set_digests(inputs, ot_.siblings, op.proof.siblings)
        for st, s in zip(qt.steps, q.steps, strict=True):
            _set_exts(inputs, st.evals, s.evals)
            _set_digests(inputs, st.siblings, s.proof.siblings)
    _set_exts(inputs, t.fri.final_poly, p.fri.final_poly)
    inputs[t.fri.pow_witness] = p.fri.pow_witness
