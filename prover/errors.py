"""The prover's one error: the witness does not satisfy the circuit."""


class ProvingError(ValueError):
    """The witness does not satisfy the circuit, so no valid proof exists."""
