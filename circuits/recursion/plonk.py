"""In-circuit twin of ``verifier.plonk.verify_proof``: the verifier as a circuit.

The same transcript replay (``verifier.plonk.plonk_challenges``), the same
generic vanishing-polynomial code (evaluated on ``ExtValue``), the same FRI
checks. The inner circuit's common data is a
constant of the outer circuit; its verifier key may be constant or a witness
(universal recursion), and its digest is computed in-circuit from the key, so
the statement binds exactly the key whose digest the caller checks.

Zero knowledge of the inner proof is part of its common data, so the outer
circuit fixes it: salted leaves are hashed whole (the salt is the end of each
opened row), the blinding-row factors and the quotient stride follow the inner
configuration, and a prover cannot present a proof of the other mode.
"""

from __future__ import annotations

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.recursion.challenger import ChallengerTarget
from circuits.recursion.ext_value import ExtValue
from circuits.recursion.fri import fri_challenges_circuit, verify_fri_circuit
from circuits.recursion.proof_target import ProofWithPublicInputsTarget, VerifierKeyTarget
from verifier.hashing import sponge_initial_state
from verifier.plonk import blinding_at, plonk_challenges, quotient_at, stride_power
from verifier.poseidon2 import RATE, permute
from verifier.proof import CommonData
from verifier.vanishing import EvaluationVars, vanishing_combination


def circuit_digest_circuit(b: CircuitBuilder, common: CommonData, vk: VerifierKeyTarget) -> DigestTarget:
    """Twin of ``VerifierKey.circuit_digest``: hash(common encoding || cap).

    The common data is a constant of the outer circuit, so the sponge's full chunks of it are
    absorbed natively: the circuit starts from that (constant) state and absorbs the rest.
    """
    prefix = common.encode()
    cap = [t for d in vk.constants_sigmas_cap for t in d]
    state = sponge_initial_state(len(prefix) + len(cap))
    absorbed = len(prefix) // RATE * RATE
    for start in range(0, absorbed, RATE):
        state[:RATE] = prefix[start : start + RATE]
        state = permute(state)
    rest = [b.constant(v) for v in prefix[absorbed:]] + cap
    zero = b.zero()
    targets = [b.constant(v) for v in state]
    for start in range(0, len(rest), RATE):
        chunk = rest[start : start + RATE]
        targets = b.permute(chunk + [zero] * (RATE - len(chunk)) + targets[RATE:])
    return targets[0], targets[1], targets[2], targets[3]


def verify_proof_circuit(
    b: CircuitBuilder, common: CommonData, vk: VerifierKeyTarget, target: ProofWithPublicInputsTarget
) -> DigestTarget:
    """Constrain ``target`` to be a valid proof for (common, vk); returns the in-circuit circuit digest."""
    proof = target.proof
    pi_hash = b.hash_elements(target.public_inputs)
    digest = circuit_digest_circuit(b, common, vk)

    challenger = ChallengerTarget(b)
    beta, gamma, alpha, zeta = plonk_challenges(challenger, digest, pi_hash, proof)

    zeta_n = zeta
    for _ in range(common.degree_bits):
        zeta_n = zeta_n * zeta_n
    z_h = zeta_n - 1
    l0 = z_h / ((zeta - 1) * common.degree)
    o = proof.openings
    nc = common.num_constant_columns
    openings = EvaluationVars(
        x=zeta,
        l0_x=l0,
        constants=o.constants_sigmas[:nc],
        sigmas=o.constants_sigmas[nc:],
        wires=o.wires,
        zs_partials=o.zs_partials,
        zs_next=o.zs_next,
        public_inputs_hash=[ExtValue.lift(b, t) for t in pi_hash],
        beta=beta,
        gamma=gamma,
        blinding=blinding_at(common, zeta, z_h),
    )
    v_zeta = vanishing_combination(common, openings, alpha)
    v_zeta.assert_equal(z_h * quotient_at(common, o.quotient, stride_power(common, zeta, zeta_n)))

    challenges = fri_challenges_circuit(challenger, common, proof.fri)
    caps = (vk.constants_sigmas_cap, proof.wires_cap, proof.zs_partials_cap, proof.quotient_cap)
    verify_fri_circuit(b, common, caps, o, zeta, challenges, proof.fri)
    return digest
