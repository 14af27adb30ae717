"""Witness generators: how the prover fills wires from the inputs it was given.

One module per gate file of ``verifier/gates/`` (``simple``, ``decomposition``,
``poseidon2_gate``, ``poseidon2_linear``, ``reducing``, ``fri_fold``), so a gate's
constraints and its generator are found under the same name; ``base`` holds the
generic interface, the hint generator, the worklist and the recorded order (``WitnessPlan``).
"""

from circuits.generators.base import Generator, SimpleGenerator, WitnessPlan, generate_witness
from circuits.generators.decomposition import BaseSumGenerator, RandomAccessGenerator
from circuits.generators.fri_fold import FriFoldGenerator
from circuits.generators.poseidon2_gate import Poseidon2Generator
from circuits.generators.poseidon2_linear import Poseidon2LinearGenerator
from circuits.generators.reducing import ReducingGenerator
from circuits.generators.simple import ArithmeticExtensionGenerator, ArithmeticGenerator, ConstantGenerator

__all__ = [
    "ArithmeticExtensionGenerator",
    "ArithmeticGenerator",
    "BaseSumGenerator",
    "ConstantGenerator",
    "FriFoldGenerator",
    "Generator",
    "Poseidon2Generator",
    "Poseidon2LinearGenerator",
    "RandomAccessGenerator",
    "ReducingGenerator",
    "SimpleGenerator",
    "WitnessPlan",
    "generate_witness",
]
