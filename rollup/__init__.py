"""The rollup: state trees, sessions, blocks, storage and the re-execution baseline.

Modules, one job each (maths in ``docs/state-model.md``):

* ``params``       every fixed size (tree depths, amount bits, schema version)
* ``errors``       the RollupError hierarchy, one class per rule
* ``smt``          fixed-depth sparse Merkle trees over Poseidon2
* ``outbox``       append-only transfer records
* ``state``        user state, leaf formulas, the finalized ChainState
* ``rules``        scalar rules shared by execution and trace verification
* ``operations``   Register / Send / Claim
* ``witness``      session traces and their native verification (the circuit's spec)
* ``execution``    run a session against the finalized state, producing its trace
* ``session``      Session, SessionBuilder, JSON codec, claim_sessions
* ``block``        assemble, execute and commit blocks; block data digest
* ``sequencer``    pending sessions and block building over storage
* ``storage``      SQLite persistence, versioned by block
* ``reexecute``    the full-node baseline a light client must beat
* ``organization`` one owner key controlling several accounts
* ``seed``         the seed scenario and its balance table
* ``workload``     reproducible synthetic workloads for benchmarks
* ``bench_loader`` finds and imports the repository's bench/ suite for ``rollup bench`` (not installed)
"""
