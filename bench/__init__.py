"""The benchmarks of the repository (not installed with the product): ``rollup bench`` and ``python -m bench.X``.

Run from the repository root (so ``bench`` is importable) with the extra
installed: ``pip install ".[bench]"``. Modules:

* ``timing``           the one timing helper (best of runs, wall or CPU time) and the printed table
* ``inputs``           deterministic random field elements
* ``kernels``          field multiplication, NTT, LDE
* ``hashing``          Poseidon2, Merkle trees, proof-of-work grinding
* ``proof``            the proof system on a Merkle workload: keygen, witness, proving stages, verification
* ``compare``          before/after comparison of ``proof`` against another tree, interleaved
* ``recursion``        size and cost of the aggregation circuit
* ``witness``          witness generation, worklist vs the replayed recorded order
* ``light_client``     light-client verification of a block proof, reference vs fast path
* ``allocator``        page faults and CPU per proof in a worker, glibc defaults vs kept memory
* ``workload``         the send blocks of ``rollup bench``
* ``machine``          the machine, date and code identity recorded with each run
* ``peer_comparison``  Merkle membership here and with circom2 + snarkjs (driver in ``bench/peer``)
* ``report``           ``report.md`` and the plots (matplotlib) from ``measurements.json``
* ``rollup_bench``     ``rollup bench``: runs the sections, saves the measurements, writes the report
"""
