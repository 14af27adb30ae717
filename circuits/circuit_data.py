"""Building a circuit's keys and proving with it.

Build:
* rows are padded with no-op rows to n = 2^k (k >= MIN_DEGREE_BITS); with zero
  knowledge the last ``num_blinding_rows`` of them stay free of gates and copy
  constraints, for the prover to fill at random;
* each gate type that occurs gets a selector column (1 on its rows);
* copy constraints become the permutation sigma: within each class of wire
  cells, each cell points to the next one (a cycle), identities
  id(i, r) = k_i g^r elsewhere; only routed columns may be copy-constrained;
* the constants and sigma columns are committed: their cap plus the common
  data is the verifier key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING

import numpy as np

from circuits.generators import Generator, WitnessPlan, generate_witness
from circuits.witness import Target, Witness
from prover import field_kernels as fk
from prover.oracle import PolynomialBatch
from prover.plonk_prover import ProverKey, ProvingError, ProvingTimes, prove
from prover.quotient import QuotientOptions
from verifier import field
from verifier.gates import Gate, GateVars, NoopGate
from verifier.plonk import verify_proof
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey
from verifier.zero_knowledge import num_blinding_rows

if TYPE_CHECKING:
    from circuits.builder import CircuitBuilder

MIN_DEGREE_BITS = 4


@dataclass
class CircuitData:
    """A built circuit: keys, and what the prover needs to fill a witness."""

    prover_key: ProverKey
    generators: list[Generator]
    copy_classes: dict[Target, list[Target]]
    public_input_targets: list[Target]
    row_gates: list[Gate]
    row_constants: list[list[int]]
    witness_plan: WitnessPlan = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.witness_plan = WitnessPlan(self.copy_classes)

    @property
    def verifier_key(self) -> VerifierKey:
        return self.prover_key.vk

    @property
    def common(self) -> CommonData:
        return self.prover_key.vk.common

    def generate_witness(self, inputs: Mapping[Target, int]) -> Witness:
        """Set the inputs, then run every generator (after the first fill, in the order recorded for these inputs)."""
        cfg = self.common.config
        return generate_witness(
            cfg.num_wires, self.common.degree, self.copy_classes, self.generators, inputs, self.witness_plan
        )

    def prove_witness(
        self, w: Witness, times: ProvingTimes | None = None, quotient: QuotientOptions | None = None
    ) -> ProofWithPublicInputs:
        """Prove a filled witness (``quotient``: how the prover evaluates V; every choice gives the same proof)."""
        public_inputs = tuple(w.get(t) for t in self.public_input_targets)
        try:
            proof = prove(self.prover_key, w.wires, public_inputs, times, quotient)
        except ProvingError as exc:
            failing = self.first_failing_row(w.wires)
            raise ProvingError(f"{exc}; {failing}" if failing else str(exc)) from exc
        return ProofWithPublicInputs(proof, public_inputs)

    def prove(self, inputs: Mapping[Target, int], times: ProvingTimes | None = None) -> ProofWithPublicInputs:
        """Generate the witness from ``inputs`` and prove."""
        return self.prove_witness(self.generate_witness(inputs), times)

    def verify(self, proof: ProofWithPublicInputs) -> None:
        """Native verification; raises ``VerificationError`` on rejection."""
        verify_proof(self.verifier_key, proof.proof, proof.public_inputs)

    def first_failing_row(self, wires: np.ndarray) -> str | None:
        """Debug aid: the first row whose gate constraints fail, evaluated with Python ints."""
        from verifier.extension import Ext

        for row, (gate, consts) in enumerate(zip(self.row_gates, self.row_constants, strict=True)):
            if gate.num_constraints == 0:
                continue
            values = [Ext(int(v)) for v in wires[:, row]]
            v = GateVars(wires=values, constants=[Ext(c) for c in consts], public_inputs_hash=[Ext(0)] * 4)
            bad = [j for j, c in enumerate(gate.eval_constraints(v)) if c != 0]
            if bad and gate.name != "PublicInput":
                return f"row {row} ({gate.name}) violates constraints {bad[:5]}"
        return None


def build_circuit(builder: CircuitBuilder, shape: CommonData | None = None) -> CircuitData:
    """Keys for the builder's circuit; with ``shape``, padded to exactly that common data.

    A shared shape (degree, gate list in selector order, number of public
    inputs) lets one recursive verifier accept proofs of different circuits.
    """
    cfg = builder.config
    used = [g for g in dict.fromkeys(r.gate for r in builder.rows) if g.num_constraints]
    if shape is None:
        rows = len(builder.rows) + num_blinding_rows(cfg)
        degree_bits = max(MIN_DEGREE_BITS, (rows - 1).bit_length())
        common = CommonData(cfg, degree_bits, tuple(used), len(builder.public_inputs))
    else:
        common = shape
        check_fits_shape(builder, used, shape)
    n = common.degree
    gates = list(common.gates)
    row_gates: list[Gate] = [r.gate for r in builder.rows] + [NoopGate()] * (n - len(builder.rows))
    row_constants = [r.constants for r in builder.rows] + [[0] * cfg.num_constants] * (n - len(builder.rows))

    constants = np.zeros((common.num_constant_columns, n), dtype=np.uint64)
    gate_index = {g: i for i, g in enumerate(gates)}
    for row, g in enumerate(row_gates):
        if g in gate_index:
            constants[gate_index[g], row] = 1
    constants[common.num_selectors :] = np.array(row_constants, dtype=np.uint64).T

    classes = builder.copies.classes()
    sigma_values = sigma_columns(common, classes)
    batch = PolynomialBatch.from_values(np.vstack([constants, sigma_values]), cfg.rate_bits, cfg.cap_height)
    vk = VerifierKey(batch.cap, common)
    return CircuitData(
        prover_key=ProverKey(vk, batch, sigma_values),
        generators=list(builder.generators),
        copy_classes=classes,
        public_input_targets=list(builder.public_inputs),
        row_gates=row_gates,
        row_constants=row_constants,
    )


def check_fits_shape(builder: CircuitBuilder, used: list[Gate], shape: CommonData) -> None:
    """Raise CircuitError unless the circuit can be laid out with exactly ``shape``'s common data."""
    from circuits.builder import CircuitError

    if shape.config != builder.config:
        raise CircuitError("circuit and shape use different proof configurations")
    if len(builder.rows) + shape.num_blinding_rows > shape.degree:
        raise CircuitError(
            f"circuit has {len(builder.rows)} rows and {shape.num_blinding_rows} blinding rows, "
            f"shape allows {shape.degree}"
        )
    missing = [g.name for g in used if g not in shape.gates]
    if missing:
        raise CircuitError(f"gates {missing} are not in the shape's gate list")
    if len(builder.public_inputs) != shape.num_public_inputs:
        raise CircuitError(
            f"circuit has {len(builder.public_inputs)} public inputs, shape has {shape.num_public_inputs}"
        )


def sigma_columns(common: CommonData, classes: Mapping[Target, Sequence[Target]]) -> np.ndarray:
    """sigma_i(g^r) for each routed column i: the identity, with each copy class turned into a cycle."""
    cfg = common.config
    n = common.degree
    omega_powers = fk.powers(field.root_of_unity(common.degree_bits), n)
    k_is = np.array(common.k_is, dtype=np.uint64)
    sigma = np.stack([fk.mul(omega_powers, k) for k in common.k_is])
    # Each class's wire cells (targets >= 0, in order) form a cycle: cell j points to cell j + 1.
    cells: list[int] = []
    successors: list[int] = []
    for group in classes.values():
        wired = [t for t in group if t >= 0]
        cells += wired
        successors += wired[1:] + wired[:1]
    if not cells:
        return sigma
    rows, cols = np.divmod(np.array(cells, dtype=np.int64), cfg.num_wires)
    next_rows, next_cols = np.divmod(np.array(successors, dtype=np.int64), cfg.num_wires)
    if rows.max() >= n:
        raise ValueError(f"copy constraint on row {rows.max()} beyond the circuit's {n} rows")
    if cols.max() >= cfg.num_routed_wires:
        i = int(np.argmax(cols >= cfg.num_routed_wires))
        raise ValueError(
            f"copy constraint on wire (row {rows[i]}, column {cols[i]}), which is not routed "
            f"(only columns < {cfg.num_routed_wires} are)"
        )
    sigma[cols, rows] = fk.mul(k_is[next_cols], omega_powers[next_rows])
    return sigma
