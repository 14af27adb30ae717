"""Helpers of the node tests: a real node in a subprocess on loopback, sessions as a wallet builds them.

:class:`NodeProcess` starts ``python -m rollup.node`` on ``127.0.0.1:0``,
reads the bound address from its first line, and stops it with SIGTERM or
SIGKILL (``kill -9``). Nothing runs in the test's own process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from keys_support import NAMED_KEYS

from rollup.node.client import NodeClient
from rollup.node.wallet_command import node_blocks, prove_for_node
from rollup.operations import Register, Send
from rollup.seed import SEED_USERS
from rollup.session import Session
from rollup.state import key_digest
from rollup.wallet import KeyFile
from rollup.wallet_proving import SessionRequest
from rollup.wallet_state import PendingState, WalletState
from verifier.light_client import parse_digest_hex

START_TIMEOUT_SECONDS = 120.0
"""Generous: the machine is shared; a loaded start takes seconds (imports, numba)."""


class NodeProcess:
    """``rollup node --dir DIRECTORY`` with extra options, as a child process."""

    def __init__(self, directory: Path, *options: str) -> None:
        self.directory = directory
        self.options = options
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.log = directory.parent / f"{directory.name}-node.log"

    def start(self) -> NodeProcess:
        """Start the node and wait until it listens (RuntimeError with its output when it exits first)."""
        command = [sys.executable, "-m", "rollup.node", "--dir", str(self.directory), "--listen", "127.0.0.1:0"]
        with open(self.log, "a") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                [*command, *self.options],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if match is None:
            self.process.wait(timeout=START_TIMEOUT_SECONDS)
            raise RuntimeError(f"the node did not start (exit {self.process.returncode}): {self.log.read_text()}")
        self.url = match.group(1)
        return self

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM, then wait; returns the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        return self.process.returncode

    def __enter__(self) -> NodeProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()


def wait_until(condition: object, timeout: float = 120.0, what: str = "the condition") -> None:
    """Poll ``condition()`` until it is true; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def register(user_id: int, name: str, root_hex: str, deposit: int = 100) -> Session:
    """A registration session of ``name`` (its throw-away key in ``NAMED_KEYS``) reading ``root_hex``."""
    return Session(user_id, parse_digest_hex(root_hex), NAMED_KEYS.secret(name), (Register(deposit),))


def address_of(user_id: int) -> tuple[int, int, int, int]:
    """The address of the user the tests register at ``user_id`` (a seed name, else ``user<ID>``)."""
    names = {uid: name for name, uid in SEED_USERS.items()}
    return key_digest(NAMED_KEYS.secret(names.get(user_id, f"user{user_id}")))


def send(user_id: int, name: str, root_hex: str, recipient: int, amount: int, nonce: int) -> Session:
    """One send of ``amount`` from ``name`` (with its next ``nonce``), reading ``root_hex``."""
    send = Send(recipient, address_of(recipient), amount, nonce)
    return Session(user_id, parse_digest_hex(root_hex), NAMED_KEYS.secret(name), (send,))


class Wallets:
    """The test's wallets of named users (throw-away keys), each keeping its own state the way
    ``wallet prove --node`` does; a file counts as the wallet's pending session once :meth:`submit` had it
    accepted."""

    def __init__(self) -> None:
        self.states: dict[int, WalletState] = {}
        self._proven: dict[bytes, tuple[int, PendingState]] = {}

    def state(self, client: NodeClient, user_id: int, name: str) -> WalletState:
        """User ``user_id``'s wallet state, synced with the node's finalized blocks."""
        wallet = self.states.setdefault(user_id, WalletState(user_id))
        address = KeyFile(name, NAMED_KEYS.secret(name)).key_digest
        wallet.sync(node_blocks(client, wallet.block, client.head()["finalized"]), address)
        return wallet

    def prove(self, client: NodeClient, user_id: int, name: str, request: SessionRequest) -> bytes:
        """The session-proof file of ``name`` for ``request``, proven in this process on its wallet state and
        the node's finalized state (the head's root trusted as it is: the test's node does not chain-prove)."""
        head = client.head()
        wallet = self.state(client, user_id, name)
        key = KeyFile(name, NAMED_KEYS.secret(name))
        proven = prove_for_node(client, head["finalized"], parse_digest_hex(head["root"]), wallet, key, request)
        data = proven.file.to_bytes()
        self._proven[data] = (user_id, proven.pending(head["finalized"] + 1))
        return data

    def submit(self, client: NodeClient, data: bytes) -> dict[str, Any]:
        """Submit a file :meth:`prove` made; on acceptance it is its wallet's pending session."""
        signed = client.submit(data)
        user_id, pending = self._proven[data]
        self.states[user_id].pending = pending
        return signed


def count_rows(database: Path, table: str) -> int:
    """Rows of ``table`` in the SQLite file, read through a separate connection."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


def rollup_command() -> list[str]:
    """The installed ``rollup`` script beside this interpreter."""
    return [str(Path(sys.executable).with_name("rollup"))]


def run_seed_with_wallets(url: str, genesis_root: str, chain_key: Path) -> dict[str, int]:
    """The seed scenario as four wallet processes per phase (register, send, claim), in parallel: each
    verifies the node's chain proof, proves its user's session itself, submits the file and waits until
    its block is proven (``rollup wallet prove --node``). Returns each wallet's own final balance
    (``rollup wallet balance --node URL --wallet-dir DIR``): the node does not know them."""
    from rollup.seed import SEED_START_BALANCE, SEED_TRANSFERS, SEED_USERS
    from rollup.wallet import create_key_file
    from verifier.light_client import digest_hex

    wallets = Path(tempfile.mkdtemp(prefix="seed-wallets-"))
    addresses = {name: digest_hex(create_key_file(wallets / name, name).key_digest) for name in SEED_USERS}
    trusted = ["--node", url, "--genesis-root", genesis_root, "--chain-key", str(chain_key)]

    def wallet(name: str, *session: str) -> list[str]:
        user = ["--wallet-dir", str(wallets / name), "--user-id", str(SEED_USERS[name])]
        return [*rollup_command(), "wallet", "prove", *user, *trusted, *session]

    sends: dict[str, list[str]] = {}
    for sender, recipient, amount in SEED_TRANSFERS:
        sends.setdefault(sender, []).extend(["--send", f"{SEED_USERS[recipient]}:{amount}:{addresses[recipient]}"])
    phases = [
        [wallet(name, "--register", str(SEED_START_BALANCE)) for name in SEED_USERS],
        [wallet(name, *transfers) for name, transfers in sends.items()],
        [wallet(name, "--claim") for name in SEED_USERS],
    ]
    for phase in phases:
        processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for command in phase]
        for command, process in zip(phase, processes, strict=True):
            out, err = process.communicate(timeout=3600)
            assert process.returncode == 0, f"{command}: {out.decode()} {err.decode()}"
    balances = {}
    for name in SEED_USERS:
        command = [*rollup_command(), "wallet", "balance", "--node", url, "--wallet-dir", str(wallets / name)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        balances[name] = json.loads(done.stdout)["balance"]
    return balances
