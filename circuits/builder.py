"""The circuit builder: place gates in rows, wire them with copy constraints.

Usage::

    b = CircuitBuilder()
    x = b.add_virtual_target()
    y = b.mul(x, x)
    b.register_public_input(y)
    circuit = b.build()
    proof = circuit.prove({x: 3})

Every helper (``add``, ``mul``, ``permute`` ...) places a gate slot, connects
its inputs to the slot's wires with copy constraints, registers the generator
that fills the outputs, and returns the output targets. ``build`` finishes the
circuit (hashes the public inputs in-circuit into the public-input gate, pads
to a power of two) and produces the keys.

Why one module of about 450 lines: it is one class whose methods all share the
slot allocator and the copy-constraint bookkeeping; each gadget method is a
few lines over them, and the gate-specific witness logic already lives in
:mod:`circuits.generators`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from circuits.generators import (
    ArithmeticExtensionGenerator,
    ArithmeticGenerator,
    BaseSumGenerator,
    ConstantGenerator,
    FriFoldGenerator,
    Generator,
    Poseidon2Generator,
    Poseidon2LinearGenerator,
    RandomAccessGenerator,
    ReducingGenerator,
    SimpleGenerator,
)
from circuits.witness import CopyClasses, Target
from verifier import field
from verifier.config import STANDARD_CONFIG, ProofConfig
from verifier.gates import (
    ArithmeticExtensionGate,
    ArithmeticGate,
    BaseSumGate,
    ConstantGate,
    FriFoldGate,
    Gate,
    Poseidon2Gate,
    Poseidon2LinearGate,
    PublicInputGate,
    RandomAccessGate,
    ReducingExtensionGate,
    ReducingGate,
)
from verifier.gates.poseidon2_gate import IN, OUT, SWAP
from verifier.gates.reducing import ACC_IN, ACC_OUT, ALPHA
from verifier.hashing import DOMAIN_COMPRESS, DOMAIN_HASH, DOMAIN_LANE, LENGTH_LANE
from verifier.poseidon2 import DIGEST_SIZE, RATE, WIDTH

if TYPE_CHECKING:
    from circuits.circuit_data import CircuitData
    from verifier.proof import CommonData

ExtTarget = tuple[Target, Target]
DigestTarget = tuple[Target, Target, Target, Target]

RANGE_CHECK_LIMBS = 63
"""Limbs of the binary decomposition gate: any value below 2^63 splits exactly."""

REDUCING_CHUNK = 6
"""Horner steps per reducing-gate constraint (degree 7 with the accumulator)."""


class CircuitError(ValueError):
    """The circuit description is invalid (bad connection, too many rows, ...)."""


class Row:
    """One placed gate: its type and the row's constant values."""

    __slots__ = ("constants", "gate")

    def __init__(self, gate: Gate, constants: list[int]) -> None:
        self.gate = gate
        self.constants = constants


class CircuitBuilder:
    """Accumulates gates, copy constraints, generators and public inputs."""

    def __init__(self, config: ProofConfig = STANDARD_CONFIG) -> None:
        self.config = config
        self.rows: list[Row] = []
        self.copies = CopyClasses()
        self.generators: list[Generator] = []
        self.public_inputs: list[Target] = []
        self._num_virtual = 0
        self._finalized = False
        self._constants: dict[int, Target] = {}
        self._open_rows: dict[tuple[Gate, tuple[int, ...]], tuple[int, int]] = {}
        self.arithmetic_gate = ArithmeticGate.for_routed_wires(config.num_routed_wires)
        self.arithmetic_extension_gate = ArithmeticExtensionGate.for_routed_wires(config.num_routed_wires)
        self.constant_gate = ConstantGate(config.num_constants)
        self.range_gate = BaseSumGate(min(RANGE_CHECK_LIMBS, config.num_routed_wires - 1))

    # ----------------------------------------------------------------- targets
    def wire(self, row: int, column: int) -> Target:
        return row * self.config.num_wires + column

    def add_virtual_target(self) -> Target:
        """A fresh target with no wire (an input the prover supplies)."""
        self._num_virtual += 1
        return -self._num_virtual

    def add_virtual_targets(self, n: int) -> list[Target]:
        return [self.add_virtual_target() for _ in range(n)]

    def connect(self, a: Target, b: Target) -> None:
        """Copy constraint a == b."""
        self.copies.union(a, b)

    def add_gate(self, gate: Gate, constants: Sequence[int] = ()) -> int:
        """Place a gate in a new row; returns the row index."""
        if gate.num_wires > self.config.num_wires:
            raise CircuitError(f"{gate.name} needs {gate.num_wires} wires, config has {self.config.num_wires}")
        if len(constants) > self.config.num_constants:
            raise CircuitError(f"{gate.name} needs {len(constants)} constants, config has {self.config.num_constants}")
        if gate.degree + 1 > self.config.max_constraint_degree:
            raise CircuitError(f"{gate.name} has degree {gate.degree}; with its selector it exceeds the bound")
        values = [c % field.P for c in constants] + [0] * (self.config.num_constants - len(constants))
        self.rows.append(Row(gate, values))
        return len(self.rows) - 1

    def _take_slot(self, gate: Gate, capacity: int, constants: tuple[int, ...] = ()) -> tuple[int, int]:
        """(row, slot): the next free of the ``capacity`` slots of the open row of ``gate`` with these
        constants (ops of an arithmetic row, copies of a random-access row, ...), placing a new row when
        that one is full. Rows are shared only by equal gates with equal constants."""
        key = (gate, constants)
        row, slot = self._open_rows.get(key, (-1, capacity))
        if slot == capacity:
            row, slot = self.add_gate(gate, constants), 0
        self._open_rows[key] = (row, slot + 1)
        return row, slot

    def add_generator(self, generator: Generator) -> None:
        self.generators.append(generator)

    def add_hint(
        self, inputs: Sequence[Target], num_outputs: int, fn: Callable[[list[int]], list[int]]
    ) -> list[Target]:
        """New virtual targets whose values the prover computes as fn(inputs); they are NOT constrained."""
        outputs = self.add_virtual_targets(num_outputs)
        self.add_generator(SimpleGenerator(inputs, outputs, fn))
        return outputs

    # --------------------------------------------------------------- constants
    def constant(self, value: int) -> Target:
        """A target fixed to ``value`` (deduplicated; placed in constant-gate slots)."""
        value %= field.P
        if value in self._constants:
            return self._constants[value]
        row, slot = self._take_slot(self.constant_gate, self.constant_gate.num_consts)
        self.rows[row].constants[slot] = value
        target = self.wire(row, slot)
        self.add_generator(ConstantGenerator(target, value))
        self._constants[value] = target
        return target

    def zero(self) -> Target:
        return self.constant(0)

    def one(self) -> Target:
        return self.constant(1)

    # -------------------------------------------------------------- arithmetic
    def arithmetic(self, c0: int, c1: int, x: Target, y: Target, z: Target) -> Target:
        """c0*x*y + c1*z in one arithmetic-gate op."""
        key = (c0 % field.P, c1 % field.P)
        row, op = self._take_slot(self.arithmetic_gate, self.arithmetic_gate.num_ops, key)
        base = self.wire(row, 0)
        wx, wy, wz, wout = (base + c for c in ArithmeticGate.wires_of_op(op))
        self.connect(x, wx)
        self.connect(y, wy)
        self.connect(z, wz)
        self.add_generator(ArithmeticGenerator(base, op, *key))
        return wout

    def add(self, x: Target, y: Target) -> Target:
        return self.arithmetic(1, 1, x, self.one(), y)

    def sub(self, x: Target, y: Target) -> Target:
        return self.arithmetic(1, -1, x, self.one(), y)

    def mul(self, x: Target, y: Target) -> Target:
        return self.arithmetic(1, 0, x, y, self.zero())

    def mul_add(self, x: Target, y: Target, z: Target) -> Target:
        """x*y + z."""
        return self.arithmetic(1, 1, x, y, z)

    def mul_sub(self, x: Target, y: Target, z: Target) -> Target:
        """x*y - z."""
        return self.arithmetic(1, -1, x, y, z)

    def scale(self, c: int, x: Target) -> Target:
        """c*x."""
        return self.arithmetic(c, 0, x, self.one(), self.zero())

    def add_const(self, x: Target, c: int) -> Target:
        """x + c."""
        return self.arithmetic(1, c, x, self.one(), self.one())

    def linear_combination(self, terms: Sequence[tuple[int, Target]]) -> Target:
        """sum c_i * t_i."""
        if not terms:
            return self.zero()
        acc = self.scale(terms[0][0], terms[0][1])
        for c, t in terms[1:]:
            acc = self.arithmetic(c, 1, t, self.one(), acc)
        return acc

    def assert_equal(self, x: Target, y: Target) -> None:
        self.connect(x, y)

    def assert_zero(self, x: Target) -> None:
        self.connect(x, self.zero())

    def assert_bool(self, b: Target) -> None:
        """b * b - b == 0."""
        self.assert_zero(self.mul_sub(b, b, b))

    def select(self, bit: Target, if_zero: Target, if_one: Target) -> Target:
        """bit ? if_one : if_zero, as bit*(if_one - if_zero) + if_zero (bit must be boolean)."""
        return self.mul_add(bit, self.sub(if_one, if_zero), if_zero)

    def inverse(self, x: Target) -> Target:
        """x^-1, constrained by x * inv == 1 (fails to prove if x == 0)."""
        (inv,) = self.add_hint([x], 1, lambda v: [field.inverse(v[0])])
        self.connect(self.mul(x, inv), self.one())
        return inv

    def is_equal(self, x: Target, y: Target) -> Target:
        """Boolean target: 1 if x == y else 0 (d = x - y; out = 1 - d*inv, d*out == 0)."""
        d = self.sub(x, y)
        (inv,) = self.add_hint([d], 1, lambda v: [field.inverse(v[0]) if v[0] else 0])
        out = self.arithmetic(-1, 1, d, inv, self.one())
        self.assert_zero(self.mul(d, out))
        return out

    # ------------------------------------------------------ extension arithmetic
    def ext_arithmetic(self, c0: int, c1: int, x: ExtTarget, y: ExtTarget, z: ExtTarget) -> ExtTarget:
        """c0*x*y + c1*z over F_p2 in one extension-gate op."""
        key = (c0 % field.P, c1 % field.P)
        gate = self.arithmetic_extension_gate
        row, op = self._take_slot(gate, gate.num_ops, key)
        base = self.wire(row, 0)
        pairs = ArithmeticExtensionGate.wires_of_op(op)
        for value, (c_a, c_b) in zip((x, y, z), pairs[:3], strict=True):
            self.connect(value[0], base + c_a)
            self.connect(value[1], base + c_b)
        self.add_generator(ArithmeticExtensionGenerator(base, op, *key))
        return base + pairs[3][0], base + pairs[3][1]

    def ext_constant(self, a0: int, a1: int = 0) -> ExtTarget:
        return self.constant(a0), self.constant(a1)

    # ----------------------------------------------------------------- Poseidon2
    def permute(self, inputs: Sequence[Target], swap: Target | None = None) -> list[Target]:
        """Poseidon2 of 12 targets (first two digests swapped if ``swap`` = 1); one gate row."""
        if len(inputs) != WIDTH:
            raise CircuitError(f"Poseidon2 takes {WIDTH} inputs, got {len(inputs)}")
        row = self.add_gate(Poseidon2Gate())
        base = self.wire(row, 0)
        for i, t in enumerate(inputs):
            self.connect(t, base + IN + i)
        self.connect(self.zero() if swap is None else swap, base + SWAP)
        self.add_generator(Poseidon2Generator(base))
        return [base + OUT + i for i in range(WIDTH)]

    def hash_elements(self, message: Sequence[Target]) -> DigestTarget:
        """In-circuit twin of ``verifier.hashing.hash_elements``."""
        zero = self.zero()
        state = [zero] * WIDTH
        state[LENGTH_LANE] = self.constant(len(message))
        state[DOMAIN_LANE] = self.constant(DOMAIN_HASH)
        for start in range(0, max(len(message), 1), RATE):
            chunk = list(message[start : start + RATE])
            state[:RATE] = chunk + [zero] * (RATE - len(chunk))
            state = self.permute(state)
        return state[0], state[1], state[2], state[3]

    def compress(self, left: DigestTarget, right: DigestTarget, swap: Target | None = None) -> DigestTarget:
        """In-circuit twin of ``verifier.hashing.compress``; with ``swap`` = 1 computes compress(right, left)."""
        zero = self.zero()
        state = [*left, *right, zero, zero, zero, zero]
        state[DOMAIN_LANE] = self.constant(DOMAIN_COMPRESS)
        out = self.permute(state, swap)
        return out[0], out[1], out[2], out[3]

    def constant_digest(self, digest: Sequence[int]) -> DigestTarget:
        d = [self.constant(v) for v in digest]
        return d[0], d[1], d[2], d[3]

    def add_virtual_digest(self) -> DigestTarget:
        d = self.add_virtual_targets(DIGEST_SIZE)
        return d[0], d[1], d[2], d[3]

    def connect_digest(self, a: Sequence[Target], b: Sequence[Target]) -> None:
        for x, y in zip(a, b, strict=True):
            self.connect(x, y)

    # ------------------------------------------------------- decomposition
    def split_le(self, x: Target, num_bits: int) -> list[Target]:
        """Little-endian bits of x, constraining x < 2^num_bits (num_bits <= 63)."""
        gate = self.range_gate
        if not 0 < num_bits <= gate.num_limbs:
            raise CircuitError(f"split_le supports 1..{gate.num_limbs} bits, got {num_bits}")
        row = self.add_gate(gate)
        base = self.wire(row, 0)
        self.connect(x, base + BaseSumGate.SUM)
        for i in range(num_bits, gate.num_limbs):
            self.assert_zero(base + gate.limb_wire(i))
        self.add_generator(BaseSumGenerator(base, gate))
        return [base + gate.limb_wire(i) for i in range(num_bits)]

    def range_check(self, x: Target, num_bits: int) -> None:
        """Constrain 0 <= x < 2^num_bits."""
        self.split_le(x, num_bits)

    def random_access(self, index: Target, items: Sequence[Target]) -> Target:
        """items[index] for a power-of-two number of items (index constrained to range)."""
        bits = max(len(items) - 1, 0).bit_length()
        if len(items) != 1 << bits:
            raise CircuitError(f"random_access needs a power-of-two number of items, got {len(items)}")
        if bits == 0:
            self.assert_zero(index)
            return items[0]
        gate = RandomAccessGate.for_config(bits, self.config.num_routed_wires, self.config.num_wires)
        row, copy = self._take_slot(gate, gate.copies)
        base = self.wire(row, 0)
        self.connect(index, base + gate.index_wire(copy))
        for i, item in enumerate(items):
            self.connect(item, base + gate.item_wire(copy, i))
        self.add_generator(RandomAccessGenerator(base, gate, copy))
        return base + gate.claimed_wire(copy)

    # ------------------------------------------------------ recursion gates
    def reducing_gate(self, extension: bool = False) -> ReducingGate | ReducingExtensionGate:
        """The widest reducing gate this config fits (base or extension coefficients)."""
        cls = ReducingExtensionGate if extension else ReducingGate
        gate = cls.for_config(self.config.num_routed_wires, self.config.num_wires, REDUCING_CHUNK)
        return gate  # type: ignore[return-value]

    def reduce_with_powers(self, alpha: ExtTarget, coeffs: Sequence[Target | ExtTarget]) -> ExtTarget:
        """sum_i alpha^i coeffs_i (Horner from the last) in reducing-gate rows.

        Coefficients are base targets, or ``ExtTarget`` pairs (then every one must be a pair).
        Rows are chained through their accumulators; the first row is padded with leading zero
        coefficients (Horner from acc = 0 ignores them).
        """
        if not coeffs:
            return self.ext_constant(0)
        extension = isinstance(coeffs[0], tuple)
        gate = self.reducing_gate(extension)
        m = gate.num_coeffs
        ordered = list(reversed(coeffs))
        zero = self.zero()
        pad: Target | ExtTarget = (zero, zero) if extension else zero
        ordered = [pad] * (-len(ordered) % m) + ordered
        acc = self.ext_constant(0)
        for start in range(0, len(ordered), m):
            row = self.add_gate(gate)
            base = self.wire(row, 0)
            for t, w in zip((*alpha, *acc), (ALPHA, ALPHA + 1, ACC_IN, ACC_IN + 1), strict=True):
                self.connect(t, base + w)
            for i, c in enumerate(ordered[start : start + m]):
                parts = c if isinstance(c, tuple) else (c,)
                if len(parts) != gate.coeff_width:
                    raise CircuitError("reduce_with_powers: mixed base and extension coefficients")
                for t, w in zip(parts, gate.coeff_wires(i), strict=True):
                    self.connect(t, base + w)
            self.add_generator(ReducingGenerator(base, gate))
            acc = (base + ACC_OUT, base + ACC_OUT + 1)
        return acc

    def fri_fold(self, evals: Sequence[ExtTarget], point: ExtTarget) -> ExtTarget:
        """F(point * x0) for the F of degree < a with F(x0 eta^j) = evals[j] (natural order), see FriFoldGate."""
        arity_bits = len(evals).bit_length() - 1
        if len(evals) != 1 << arity_bits or arity_bits < 1:
            raise CircuitError(f"fri_fold needs a power-of-two number (>= 2) of values, got {len(evals)}")
        gate = FriFoldGate.for_config(arity_bits, self.config.num_routed_wires, self.config.num_wires)
        row, copy = self._take_slot(gate, gate.copies)
        base = self.wire(row, 0)
        for j, e in enumerate(evals):
            for t, w in zip(e, gate.eval_wires(copy, j), strict=True):
                self.connect(t, base + w)
        for t, w in zip(point, gate.point_wires(copy), strict=True):
            self.connect(t, base + w)
        self.add_generator(FriFoldGenerator(base, gate, copy))
        out = gate.out_wires(copy)
        return base + out[0], base + out[1]

    def poseidon2_linear(self, inputs: Sequence[ExtTarget], external: bool) -> list[ExtTarget]:
        """Poseidon2's external (M_E) or internal (M_I) linear layer on 12 F_p2 values; one gate row."""
        gate = Poseidon2LinearGate()
        if len(inputs) != WIDTH:
            raise CircuitError(f"Poseidon2 linear layer takes {WIDTH} values, got {len(inputs)}")
        row = self.add_gate(gate, [1 if external else 0])
        base = self.wire(row, 0)
        for lane, value in enumerate(inputs):
            for t, w in zip(value, gate.in_wires(lane), strict=True):
                self.connect(t, base + w)
        self.add_generator(Poseidon2LinearGenerator(base, external))
        return [(base + gate.out_wires(lane)[0], base + gate.out_wires(lane)[1]) for lane in range(WIDTH)]

    # ----------------------------------------------------------- public inputs
    def register_public_input(self, t: Target) -> None:
        if self._finalized:
            raise CircuitError("public inputs cannot be added after the circuit is finalized")
        self.public_inputs.append(t)

    def register_public_inputs(self, ts: Sequence[Target]) -> None:
        for t in ts:
            self.register_public_input(t)

    def _bind_public_inputs(self) -> None:
        """Hash the public inputs in-circuit and expose the digest in the public-input gate."""
        digest = self.hash_elements(self.public_inputs)
        row = self.add_gate(PublicInputGate())
        for i, t in enumerate(digest):
            self.connect(t, self.wire(row, i))

    def build(self, shape: CommonData | None = None) -> CircuitData:
        """Finish the circuit and compute its keys (see ``circuits.circuit_data.build_circuit``)."""
        from circuits.circuit_data import build_circuit

        self.finalize()
        return build_circuit(self, shape)

    def finalize(self) -> int:
        """Bind the public inputs (once); returns the number of rows, e.g. to size a shape."""
        if not self._finalized:
            self._bind_public_inputs()
            self._finalized = True
        return len(self.rows)
