"""The cost of 100 proven bits: ``STANDARD_CONFIG`` against ``PROVEN_100_CONFIG`` in one run.

``python -m bench.soundness [log_rows]`` (from the repository root; default
2^13 rows) proves the workload of :mod:`bench.proof` under both
configurations and prints, for each, the soundness figures recomputed from
its key (``verifier.soundness``), proving and verification CPU time (best of
``REPEAT``, :mod:`bench.timing`) and the proof size.
"""

from __future__ import annotations

import sys

from bench.proof import bench_circuit
from bench.timing import CPU
from verifier.config import PROVEN_100_CONFIG, STANDARD_CONFIG
from verifier.soundness import soundness

DEFAULT_LOG_ROWS = 13
CONFIGURATIONS = (("STANDARD_CONFIG", STANDARD_CONFIG), ("PROVEN_100_CONFIG", PROVEN_100_CONFIG))


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    log_rows = int(args[0]) if args else DEFAULT_LOG_ROWS
    bench_circuit(10, repeat=1)  # load (or compile) every kernel outside the timings
    print(f"2^{log_rows} rows, CPU time")
    print(f"{'configuration':<18} {'conj.':>6} {'proven':>6} {'prove s':>8} {'verify ms':>10} {'proof bytes':>12}")
    for name, config in CONFIGURATIONS:
        b = bench_circuit(log_rows, clock=CPU, config=config)
        assert b.common is not None
        figures = soundness(b.common)
        print(
            f"{name:<18} {figures.conjectured_bits:>6.1f} {figures.proven_bits:>6.1f} {b.prove:>8.2f} "
            f"{b.verify * 1000:>10.1f} {b.proof_bytes:>12,}",
            flush=True,
        )


if __name__ == "__main__":
    main()
