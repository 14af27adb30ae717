"""Several users proving their own sessions at once, each in its own process (the demo's users).

Each job runs ``python -m rollup.cli --dir CHAIN wallet prove --wallet-dir W --user-id U ARGS --out FILE``:
the very command a user runs on its own machine. The processes share nothing but
the chain directory they read (read-only), and what comes back is only the
session-proof files: the caller, the operator, never sees a key.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rollup.errors import RollupError
from rollup.seed import SEED_START_BALANCE, SEED_TRANSFERS, SEED_USERS
from verifier.hashing import Digest
from verifier.light_client import digest_hex

STDERR_TAIL_CHARS = 2000
"""How much of a failed prover's error output a failure report keeps."""


class OwnProvingError(RollupError):
    """A user's ``wallet prove`` process failed; the message holds the end of its error output."""


@dataclass(frozen=True)
class OwnSessionJob:
    """One user's ``wallet prove`` run: whose wallet, which user id, which session arguments."""

    name: str
    wallet_dir: Path
    user_id: int
    arguments: tuple[str, ...]
    """E.g. ``("--register", "100")``, ``("--send", "2:50", "--send", "4:20")`` or ``("--claim",)``."""


def prove_in_processes(chain_dir: Path, jobs: Sequence[OwnSessionJob], out_dir: Path) -> dict[str, Path]:
    """Run every job at once, one process each; name -> its session-proof file (OwnProvingError on a failure)."""
    running = []
    for job in jobs:
        out = out_dir / f"{job.name}.session"
        argv = [sys.executable, "-m", "rollup.cli", "--dir", str(chain_dir), "wallet", "prove"]
        argv += ["--wallet-dir", str(job.wallet_dir), "--user-id", str(job.user_id), *job.arguments, "--out", str(out)]
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        running.append((job, out, process))
    failures = []
    for job, _, process in running:
        _, errors = process.communicate()
        if process.returncode != 0:
            failures.append(f"{job.name}: {errors[-STDERR_TAIL_CHARS:].strip()}")
    if failures:
        raise OwnProvingError("proving a user's own session failed: " + "; ".join(failures))
    return {job.name: out for job, out, _ in running}


def wallet_balances(chain_dir: Path, wallets: Mapping[str, Path]) -> dict[str, int | None]:
    """Each wallet's own balance, as ``wallet balance`` prints it in the wallet's own process after syncing with
    the chain's published blocks (the operator does not know them)."""
    balances: dict[str, int | None] = {}
    for name, wallet in wallets.items():
        argv = [sys.executable, "-m", "rollup.cli", "--dir", str(chain_dir), "wallet", "balance"]
        done = subprocess.run([*argv, "--wallet-dir", str(wallet)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise OwnProvingError(f"{name}'s wallet balance failed: {done.stderr[-STDERR_TAIL_CHARS:].strip()}")
        balances[name] = json.loads(done.stdout)["balance"]
    return balances


def seed_blocks(
    wallets: Mapping[str, Path], addresses: Mapping[str, Digest], common: tuple[str, ...] = ()
) -> list[list[OwnSessionJob]]:
    """The seed scenario (:mod:`rollup.seed`) as three blocks of own-proving jobs, one per user and block:
    registrations, then each user's sends (to the recipients' ``addresses``, which their wallets gave out),
    then each user's claims; ``common`` arguments go to every job (e.g. ``("--genesis-root", HEX)``)."""
    sends: dict[str, list[str]] = {name: [] for name in SEED_USERS}
    for sender, recipient, amount in SEED_TRANSFERS:
        sends[sender] += ["--send", f"{SEED_USERS[recipient]}:{amount}:{digest_hex(addresses[recipient])}"]
    arguments: list[dict[str, tuple[str, ...]]] = [
        {name: ("--register", str(SEED_START_BALANCE)) for name in SEED_USERS},
        {name: tuple(sends[name]) for name in SEED_USERS},
        {name: ("--claim",) for name in SEED_USERS},
    ]
    return [
        [OwnSessionJob(name, wallets[name], SEED_USERS[name], (*block[name], *common)) for name in SEED_USERS]
        for block in arguments
    ]
