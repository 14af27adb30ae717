"""The rollup node: sequencer, prover and data service of one chain directory, over HTTP.

Modules, one job each:

* :mod:`~rollup.node.command` - ``rollup node``: lock the directory, fork the prover, serve;
* :mod:`~rollup.node.app` - the FastAPI routes (JSON under ``/v1``, binary proofs);
* :mod:`~rollup.node.service` - submissions, sealing, reads (on the event loop's thread);
* :mod:`~rollup.node.signing` - amortized BLS signing of receipts (per batch) and headers (per block);
* :mod:`~rollup.node.keys` - the 0600 sequencer key file;
* :mod:`~rollup.node.store` - the node's own SQLite records (receipts, headers, block and chain proving times);
* :mod:`~rollup.node.prover` - the background prover process: block proofs, then the chain proof;
* :mod:`~rollup.node.wallet_data` - accounts and outbox paths a wallet needs;
* :mod:`~rollup.node.wallet_view` - the wallet's side: the node's data checked against its verified chain proof;
* :mod:`~rollup.node.wallet_command` - ``rollup wallet prove --node`` and ``rollup wallet balance``;
* :mod:`~rollup.node.metrics` - Prometheus metrics;
* :mod:`~rollup.node.explorer` - the block explorer pages;
* :mod:`~rollup.node.client` - an HTTP client of the node (wallets, light clients, tests).

What a node signs, and how to check it, is in :mod:`verifier.sequencer_signatures`.
"""
