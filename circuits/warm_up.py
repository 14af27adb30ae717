"""Load (or compile once) the proving kernels in this process before several processes need them.

Every kernel is cached on disk (``verifier.kernel_cache``), but a cache made
stale by a reinstall or a changed source is rebuilt by the first process that
calls each kernel. Processes started together (a demo's four wallets) would
all compile the same kernels at once, each paying the whole cost on shared
cores. Proving and verifying one small zero-knowledge circuit here first,
with the gates every rollup circuit has (arithmetic, constants, Poseidon2,
public inputs), writes the cache once; the processes started afterwards load it.
"""

from __future__ import annotations

from circuits.builder import CircuitBuilder
from verifier.config import STANDARD_ZK_CONFIG

WARM_UP_SQUARINGS = 8


def warm_up_proving_kernels() -> None:
    """Prove and verify x -> x^2 + i (a few times) and a hash of it, zero-knowledge; nothing is returned."""
    b = CircuitBuilder(STANDARD_ZK_CONFIG)
    x = b.add_virtual_target()
    y = x
    for i in range(WARM_UP_SQUARINGS):
        y = b.add_const(b.mul(y, y), i)
    b.register_public_inputs([y, *b.hash_elements([x, y])])
    circuit = b.build()
    circuit.verify(circuit.prove({x: 3}))
