"""The node tests' shared parts.

This directory goes on ``sys.path`` (the tests share ``node_support``: a node process, sessions), and
``node``/``client`` are one real node per test module, started on loopback with proving off and blocks
sealed by two sessions (never by time), with a client talking to it over HTTP.
"""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from node_support import NodeProcess

from rollup.node.client import NodeClient


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    directory = tmp_path_factory.mktemp("node") / "chain"
    with NodeProcess(directory, "--no-prove", "--block-time", "3600", "--block-sessions", "2") as process:
        yield process


@pytest.fixture(scope="module")
def client(node: NodeProcess) -> Iterator[NodeClient]:
    with NodeClient(node.url) as c:
        yield c
