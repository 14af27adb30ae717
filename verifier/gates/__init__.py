"""Gate definitions shared by prover, verifier and recursive verifier."""

from verifier.gates.base import Gate, GateVars, select
from verifier.gates.decomposition import BaseSumGate, RandomAccessGate
from verifier.gates.fri_fold import FriFoldGate
from verifier.gates.poseidon2_gate import Poseidon2Gate
from verifier.gates.poseidon2_linear import Poseidon2LinearGate
from verifier.gates.reducing import ReducingExtensionGate, ReducingGate
from verifier.gates.simple import (
    ArithmeticExtensionGate,
    ArithmeticGate,
    ConstantGate,
    NoopGate,
    PublicInputGate,
)

__all__ = [
    "ArithmeticExtensionGate",
    "ArithmeticGate",
    "BaseSumGate",
    "ConstantGate",
    "FriFoldGate",
    "Gate",
    "GateVars",
    "NoopGate",
    "Poseidon2Gate",
    "Poseidon2LinearGate",
    "PublicInputGate",
    "RandomAccessGate",
    "ReducingExtensionGate",
    "ReducingGate",
    "gate_from_name",
    "select",
]


def gate_from_name(name: str) -> Gate:
    """Rebuild a gate from its stable name (as stored in common data); raises ValueError if unknown."""
    simple: dict[str, Gate] = {
        "Noop": NoopGate(),
        "PublicInput": PublicInputGate(),
        "Poseidon2": Poseidon2Gate(),
        "Poseidon2Linear": Poseidon2LinearGate(),
    }
    if name in simple:
        return simple[name]
    kind, _, rest = name.partition("(")
    if not rest.endswith(")"):
        raise ValueError(f"unknown gate {name!r}")
    try:
        params = [int(x) for x in rest[:-1].split(",")]
    except ValueError as exc:
        raise ValueError(f"unknown gate {name!r}") from exc
    factories = {
        "Constant": ConstantGate,
        "Arithmetic": ArithmeticGate,
        "ArithmeticExtension": ArithmeticExtensionGate,
        "BaseSum": BaseSumGate,
        "RandomAccess": RandomAccessGate,
        "Reducing": ReducingGate,
        "ReducingExtension": ReducingExtensionGate,
        "FriFold": FriFoldGate,
    }
    if kind not in factories:
        raise ValueError(f"unknown gate {name!r}")
    try:
        gate: Gate = factories[kind](*params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad parameters for gate {name!r}") from exc
    if gate.name != name:
        raise ValueError(f"non-canonical gate name {name!r}")
    return gate
