"""The verifier as a circuit: in-circuit twins of ``verifier.plonk``, ``verifier.fri``,
``verifier.merkle`` and ``verifier.transcript``, and the universal aggregation circuit."""
