"""Prometheus metrics of a node (``GET /metrics``, text exposition format).

Read at scrape time from the service and the databases, so they are right
after a restart and include the prover process's work:

* ``rollup_node_queue_depth``: sessions waiting for the next block;
* ``rollup_node_blocks_finalized`` / ``rollup_node_blocks_proven`` /
  ``rollup_node_blocks_chain_proven``: block counts (proven: the prefix of
  blocks that all have block proofs; chain-proven: the latest chain proof's height);
* ``rollup_node_block_proving_seconds``: histogram of whole-block proving times;
* ``rollup_node_submissions_accepted_total`` and
  ``rollup_node_submissions_rejected_total{reason}``: since this process started;
* ``rollup_node_receipt_batches_signed_total``: receipt signatures (one per batch).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from rollup.node.service import NodeService
from verifier.chain import GENESIS_HEIGHT

PROVING_BUCKETS: tuple[float, ...] = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600)
"""Upper bounds (seconds) of the proving-time histogram."""


class NodeCollector(Collector):
    """Collects the node's metrics from its service at each scrape."""

    def __init__(self, service: NodeService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        service = self.service
        yield GaugeMetricFamily(
            "rollup_node_queue_depth", "sessions waiting for the next block", len(service.sequencer.pending_user_ids)
        )
        finalized = service.sequencer.state.block_number  # blocks are 1, 2, ...
        yield GaugeMetricFamily("rollup_node_blocks_finalized", "finalized blocks", finalized)
        yield GaugeMetricFamily(
            "rollup_node_blocks_proven", "blocks proven in order from block 1", service.proven_prefix()
        )
        yield GaugeMetricFamily(
            "rollup_node_blocks_chain_proven", "height of the latest chain proof", service.storage.chain_proven_height()
        )
        times = [t[0] for n in range(GENESIS_HEIGHT + 1, finalized + 1) if (t := service.store.proving(n)) is not None]
        buckets = [(str(b), sum(1 for t in times if t <= b)) for b in PROVING_BUCKETS]
        buckets.append(("+Inf", len(times)))
        yield HistogramMetricFamily(
            "rollup_node_block_proving_seconds", "time to prove a block", buckets=buckets, sum_value=sum(times)
        )
        yield CounterMetricFamily("rollup_node_submissions_accepted", "accepted submissions", service.counters.accepted)
        rejected = CounterMetricFamily(
            "rollup_node_submissions_rejected", "refused submissions by reason", labels=["reason"]
        )
        for reason, count in sorted(service.counters.rejected.items()):
            rejected.add_metric([reason], count)
        yield rejected
        yield CounterMetricFamily(
            "rollup_node_receipt_batches_signed", "receipt batches signed", service.signer.batches_signed
        )


def metrics_text(service: NodeService) -> bytes:
    """The exposition-format text of every metric of ``service``."""
    registry = CollectorRegistry()
    registry.register(NodeCollector(service))
    return generate_latest(registry)
