"""A built session circuit: keys, targets, witness generation from a ``SessionTrace``, proving, verifying.

The constraints are assembled in :mod:`rollup.circuits.session_circuit` and the
trace assigned to its inputs by :mod:`rollup.circuits.assignment`. A witness
that breaks a rule fails witness generation with a :class:`SessionRuleError`
naming the rule (found by re-running generation with the labelled generators).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence

from circuits.builder import DigestTarget
from circuits.circuit_data import CircuitData
from circuits.generators import ConstantGenerator, Generator, generate_witness
from circuits.witness import Target, Witness
from rollup.block_plan import SESSION_LEVEL, NodeStatement
from rollup.circuits.assignment import session_inputs, session_operations, set_digest
from rollup.circuits.labels import Labelled, LabellingBuilder, SessionRuleError
from rollup.circuits.session_circuit import SessionTargets, verify_session_trace_circuit
from rollup.slot_layout import SlotLayout
from rollup.witness import ClaimStep, SessionTrace
from verifier.config import STANDARD_ZK_CONFIG, ProofConfig
from verifier.hashing import Digest
from verifier.proof import CommonData, ProofWithPublicInputs


class SessionCircuit:
    """A built session circuit of one slot layout: keys, targets and the witness mapping."""

    def __init__(
        self,
        layout: SlotLayout,
        data: CircuitData,
        targets: SessionTargets,
        gate_rows: int,
        sections: Sequence[tuple[int, str]] = (),
        whitelist_root: DigestTarget | None = None,
    ) -> None:
        """Use :meth:`build`."""
        self.layout = layout
        """Its slots: ``layout.any_slots`` holding a send or a claim, then ``layout.send_slots`` only a send."""
        self.data = data
        self.targets = targets
        self.whitelist_root = whitelist_root
        """Pass-through public input of a circuit built for a block tree (see ``build``)."""
        self.sections = list(sections)
        """(first generator index, rule): which rule each generator checks, for error messages."""
        self.gate_rows = gate_rows
        """Rows holding gates (public-input hashing included), before padding to a power of two."""

    @classmethod
    def build(
        cls,
        layout: SlotLayout,
        config: ProofConfig = STANDARD_ZK_CONFIG,
        tree_shape: CommonData | None = None,
    ) -> SessionCircuit:
        """Build the circuit with the operation slots of ``layout`` and its keys (deterministic keys).

        Proofs are zero-knowledge by default (``STANDARD_ZK_CONFIG``): they reveal nothing about
        the witness beyond the statement (docs/security.md); the statement is the same in both modes.

        With ``tree_shape`` (the universal shape of a block's aggregation tree) the
        circuit is padded to it and its statement is followed by a pass-through
        whitelist root, so aggregation proofs can verify it.
        """
        if layout.num_slots < 1:
            raise ValueError("a session circuit has at least one operation slot")
        b = LabellingBuilder(config)
        targets = verify_session_trace_circuit(b, layout)
        whitelist_root = None
        if tree_shape is not None:
            whitelist_root = b.add_virtual_digest()
            b.register_public_inputs(list(whitelist_root))
        data = b.build(tree_shape)
        sections = b.sections if len(data.generators) == len(b.generators) else []
        return cls(layout, data, targets, len(b.rows), sections, whitelist_root)

    def holds(self, trace: SessionTrace) -> bool:
        """Whether the circuit proves ``trace``: its operations fit the slots, each in a slot of a kind that takes
        it (:meth:`SlotLayout.holds`, the rule the native capacity check applies too)."""
        operations = session_operations(trace)[1]
        return self.layout.holds([isinstance(step, ClaimStep) for step in operations])

    @property
    def num_slots(self) -> int:
        """Operations the circuit holds at most."""
        return self.layout.num_slots

    @property
    def degree_bits(self) -> int:
        """log2 of the padded number of rows."""
        return self.data.common.degree_bits

    def inputs(
        self,
        trace: SessionTrace,
        statement: NodeStatement | None = None,
        whitelist_root: Digest | None = None,
    ) -> dict[Target, int]:
        """The values of every input target; with ``statement``, also the claimed public inputs."""
        inputs = session_inputs(self.targets, trace)
        if (whitelist_root is None) != (self.whitelist_root is None):
            raise ValueError("a whitelist root is required exactly for circuits built for a block tree")
        if self.whitelist_root is not None and whitelist_root is not None:
            set_digest(inputs, self.whitelist_root, whitelist_root)
        if statement is not None:
            for target, value in zip(self.targets.public_inputs(), statement.elements(), strict=True):
                if target in inputs and inputs[target] != value:
                    raise ValueError("the witness contradicts the claimed statement")
                inputs[target] = value
        return inputs

    def generate_witness(
        self, trace: SessionTrace, statement: NodeStatement | None = None, whitelist_root: Digest | None = None
    ) -> Witness:
        """The full wire assignment; SessionRuleError when the trace breaks a rule (or contradicts ``statement``)."""
        inputs = self.inputs(trace, statement, whitelist_root)
        try:
            return self.data.generate_witness(inputs)
        except ValueError as exc:
            raise SessionRuleError(self.violated_rule(inputs), str(exc)) from exc

    def violated_rule(self, inputs: Mapping[Target, int]) -> str | None:
        """The rule a failing witness breaks first, found by re-running generation with labelled generators.

        Constants are set before anything runs, so an equality or range check
        fails in the generator that computes it (never in a constant's).
        """
        generators = self.data.generators
        if not self.sections or len(generators) < self.sections[-1][0]:
            return None
        starts = [start for start, _ in self.sections]
        labelled: list[Generator] = []
        preset = dict(inputs)
        for position, generator in enumerate(generators):
            section = bisect_right(starts, position) - 1
            labelled.append(Labelled(generator, self.sections[section][1]) if section >= 0 else generator)
            if isinstance(generator, ConstantGenerator):
                preset.setdefault(generator.target, generator.value)
        common = self.data.common
        try:
            generate_witness(common.config.num_wires, common.degree, self.data.copy_classes, labelled, preset)
        except SessionRuleError as exc:
            return exc.rule
        except ValueError:
            return None
        return None

    def prove(
        self, trace: SessionTrace, statement: NodeStatement | None = None, whitelist_root: Digest | None = None
    ) -> ProofWithPublicInputs:
        """Prove the session; with ``statement``, the proof's public inputs must equal it."""
        return self.data.prove_witness(self.generate_witness(trace, statement, whitelist_root))

    def verify(self, proof: ProofWithPublicInputs) -> NodeStatement:
        """Verify a session proof (VerificationError on rejection) and return its statement."""
        self.data.verify(proof)
        return self.statement(proof)

    @staticmethod
    def statement(proof: ProofWithPublicInputs) -> NodeStatement:
        """The statement a proof claims (not verified): a level-0 node statement, else ValueError."""
        statement = NodeStatement.from_elements(proof.public_inputs)
        if statement.level != SESSION_LEVEL:
            raise ValueError(f"a session statement is at level {SESSION_LEVEL}, got {statement.level}")
        return statement
