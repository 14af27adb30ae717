"""The ``rollup`` command line: build, prove, inspect and verify a chain in a directory.

Every command works on a chain directory (``--dir``, default ``./chain``; see
:mod:`rollup.chain_dir` for its files)::

    rollup demo [--workers N]                 the seed scenario, proven and verified end to end
    rollup run SCENARIO.json [--json]         a scripted chain (format: rollup.scenario)
    rollup init                               create an empty chain
    rollup user add NAME --balance N          register a user in the next block
    rollup send FROM TO AMOUNT                add a send to FROM's session of the next block
    rollup claim NAME                         claim every finalized transfer to NAME
    rollup block build                        finalize the next block
    rollup block prove N [--workers N | --scheduler ADDRESS]
    rollup block show N                       statement, sessions, aggregation tree, proof sizes
    rollup block export N --out FILE          the block proof file (for rollup-verify)
    rollup chain prove [N]                    the chain proof of height N (default: the latest proven)
    rollup chain export [N] --out FILE        a stored chain proof (with DIR/chain.key, for rollup-verify)
    rollup reexecute N                        the baseline: re-run block N without proofs
    rollup vk --out FILE                      the block verifier key
    rollup balances [--json]
    rollup node --dir DIR [--listen HOST:PORT] the node: sequencer, prover and data service over HTTP
    rollup wallet new NAME                    a wallet with a fresh random key
    rollup wallet prove --wallet-dir W --user-id U ... (--out FILE | --node URL)   prove one's own session
    rollup wallet balance --node URL --user-id U   an account as a node serves it
    rollup bench ...                          benchmarks (the repository's bench/, rollup.bench_loader)

Exit status: 0 success, 1 a proof failed to verify (or could not be produced),
2 bad usage, input or environment (one line names the problem), 3 a bug,
130 interrupted (:mod:`~rollup.cli.failures`, the one error path; ``--debug``
adds the traceback).

One module per job: :mod:`~rollup.cli.parser` (the parser and :func:`main`),
:mod:`~rollup.cli.failures` (exceptions to exit statuses and one-line messages),
:mod:`~rollup.cli.ui` (output), :mod:`~rollup.cli.parsing` (argument values),
:mod:`~rollup.cli.proving` (executor, circuits, the prove-and-verify display),
and one module per command group: ``chain`` (init, user add, balances),
``transactions`` (send, claim), ``blocks`` (block build/prove/show/export,
reexecute), ``chain_proofs`` (chain prove/export), ``vk``, ``demo``, ``run`` and ``bench``;
``node`` has its own parser in :mod:`rollup.node`, and ``wallet prove --node`` and ``wallet balance`` run
:mod:`rollup.node.wallet_command`. Policy-free work lives in
:mod:`rollup`: e.g. proving, exporting and light-verifying a run of blocks is
:mod:`rollup.chain_proving`.
"""

from rollup.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]
