"""``rollup node``: run a chain directory as a long-lived service.

    rollup node --dir DIR [--listen 127.0.0.1:8650] [--block-time S] [--block-sessions N]
                [--workers N | --scheduler ADDRESS] [--no-prove]

The node takes the chain directory's exclusive lock (a second node, or a
``rollup`` command that changes the chain, is refused while it runs), creates
the chain and the sequencer key on first start, forks the prover process
(unless ``--no-prove``: then it only sequences and serves, and blocks are
proven by ``rollup block prove`` later), and serves HTTP with uvicorn on the
given address, loopback by default. It builds every circuit of the block tree
first (the keys a submitted session proof is verified under, which the forked
prover inherits), so no request waits for them, then prints ``listening on
http://HOST:PORT`` (``--listen 127.0.0.1:0`` picks a free port).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from rollup.block_proving import rollup_circuits
from rollup.chain_dir import ChainDirectory
from rollup.errors import RollupError
from rollup.node.app import create_app
from rollup.node.keys import open_or_create_key
from rollup.node.prover import ProverOptions, start_prover, stop_prover
from rollup.node.service import NodeService, SealPolicy
from rollup.node.store import NODE_DATABASE, NodeStore

DEFAULT_LISTEN = "127.0.0.1:8650"
DEFAULT_BLOCK_TIME = 10.0
DEFAULT_BLOCK_SESSIONS = 64
DEFAULT_WORKERS = 2
SOCKET_BACKLOG = 2048
LOG_FORMAT = "%(asctime)s %(processName)s %(levelname)s %(message)s"
"""Sealed and proven blocks, and failures, one line each on stderr (the prover process logs too)."""


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"--listen takes HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rollup node", description="Run the sequencer, prover and data service of a chain over HTTP."
    )
    parser.add_argument("--dir", required=True, help="chain directory (created on first start)")
    parser.add_argument(
        "--listen", type=_listen, default=_listen(DEFAULT_LISTEN), help=f"HOST:PORT (default {DEFAULT_LISTEN})"
    )
    parser.add_argument(
        "--block-time",
        type=_positive_float,
        default=DEFAULT_BLOCK_TIME,
        help=f"seconds between blocks (default {DEFAULT_BLOCK_TIME:g})",
    )
    parser.add_argument(
        "--block-sessions",
        type=_positive_int,
        default=DEFAULT_BLOCK_SESSIONS,
        help=f"seal at once when this many sessions wait (default {DEFAULT_BLOCK_SESSIONS})",
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=DEFAULT_WORKERS,
        help=f"prover processes: local, or of a local Dask cluster (default {DEFAULT_WORKERS})",
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="prove on this Dask scheduler, or 'local'")
    parser.add_argument("--no-prove", action="store_true", help="sequence and serve only; prove blocks elsewhere")
    return parser


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(SOCKET_BACKLOG)  # connections queue from now on, before uvicorn accepts them
    return sock


def name_users(chain: ChainDirectory, user_ids: Sequence[int]) -> None:
    """Give each user id without an operator name the name ``user-N`` (``user-N-2``, ... if that one is taken)."""
    named = set(chain.users.values())
    added: dict[str, int] = {}
    for user_id in user_ids:
        if user_id in named:
            continue
        name, suffix = f"user-{user_id}", 1
        while name in chain.users or name in added:
            suffix += 1
            name = f"user-{user_id}-{suffix}"
        added[name] = user_id
        named.add(user_id)
    if added:
        chain.set_users({**chain.users, **added})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the node until interrupted; 2 for bad usage, a busy directory or an unusable key or address."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    directory = Path(args.dir)
    host, port = args.listen
    try:
        chain = ChainDirectory.open(directory, create=True)
    except RollupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        key = open_or_create_key(directory)
        sock = _bind(host, port)
    except (RollupError, OSError) as exc:
        chain.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rollup_circuits()  # before the first request and before the prover forks (it inherits them)
    prover = None if args.no_prove else start_prover(directory, ProverOptions(args.workers, args.scheduler))
    store = NodeStore(directory / NODE_DATABASE)
    policy = SealPolicy(args.block_time, args.block_sessions)
    service = NodeService(chain.sequencer, store, key, policy, lambda user_ids: name_users(chain, user_ids))
    app = create_app(service, directory)
    bound_host, bound_port = sock.getsockname()[:2]
    print(f"listening on http://{bound_host}:{bound_port}", flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        if prover is not None:
            stop_prover(prover)
        store.close()
        chain.close()
    return 0
