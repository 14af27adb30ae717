"""Log forwarding from forked local workers to the parent's root-logger handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from multiprocessing_logging import MultiProcessingHandler


class _FanOut(logging.Handler):
    """Hands a record to each of ``targets`` that accepts its level; never closes them."""

    def __init__(self, targets: Sequence[logging.Handler]) -> None:
        super().__init__(min(t.level for t in targets))
        self.targets = list(targets)

    def emit(self, record: logging.LogRecord) -> None:
        for target in self.targets:
            if record.levelno >= target.level:
                target.handle(record)


@contextmanager
def worker_logs_to_parent() -> Iterator[None]:
    """While active, records logged in forked workers reach the parent's root-logger handlers.

    The root handlers are replaced by one ``multiprocessing_logging.MultiProcessingHandler``
    around them: forked workers inherit it and put their records on its queue,
    and a thread in the parent hands each record to the original handlers.  On
    exit the originals are restored and the queue drained (``close`` polls every
    0.2 s, the main fixed cost of a run).
    """
    root = logging.getLogger()
    originals = list(root.handlers)
    if not originals or any(isinstance(h, MultiProcessingHandler) for h in originals):
        yield  # nothing to forward to, or the application installed multiprocessing-logging itself
        return
    wrapper = MultiProcessingHandler("executor-logs", sub_handler=_FanOut(originals))
    for handler in originals:
        root.removeHandler(handler)
    root.addHandler(wrapper)
    try:
        yield
    finally:
        root.removeHandler(wrapper)
        for handler in originals:
            root.addHandler(handler)
        wrapper.close()  # drains the queue into the original handlers; closes only the fan-out
