"""The chain-proof commands ``chain prove`` and ``chain export``, and the chain proof that follows ``block prove``.

A chain proof of height n (``rollup.chain_proofs``) is written to
``DIR/chain.proof`` with the chain key ``DIR/chain.key`` and checked exactly as
``rollup-verify --chain-proof`` checks it, from the genesis root.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rollup.cli.chain import open_chain
from rollup.cli.ui import CliError, Ui, kb_text, seconds_text, write_output
from verifier.chain import GENESIS_HEIGHT, ChainError, verify_chain_proof
from verifier.light_client import digest_hex
from verifier.serialization import proof_from_bytes, proof_to_bytes

if TYPE_CHECKING:
    from rollup.chain_dir import ChainDirectory


def prove_chain_and_export(chain: ChainDirectory, height: int, ui: Ui) -> None:
    """Prove the chain up to ``height``, write DIR/chain.key and DIR/chain.proof, and check the file as
    ``rollup-verify --chain-proof`` does, from the genesis root (ChainProvingError if it is rejected)."""
    from rollup.chain_proofs import ChainProvingError, prove_chain, rollup_chain_key, rollup_chain_key_bytes

    start = time.perf_counter()
    result = prove_chain(chain.storage, height)
    seconds = time.perf_counter() - start
    write_output(chain.chain_key_path, rollup_chain_key_bytes(), "the chain key")
    data = proof_to_bytes(result.proof)
    write_output(chain.chain_proof_path, data, "the chain proof")
    genesis = chain.storage.block(GENESIS_HEIGHT + 1).prev_root
    try:
        exported = proof_from_bytes(chain.chain_proof_path.read_bytes())
        statement = verify_chain_proof(rollup_chain_key(), exported, genesis)
    except ChainError as exc:
        raise ChainProvingError(f"{chain.chain_proof_path}: invalid: {exc}") from exc
    proven = ", ".join(map(str, result.proven_heights)) or "none new"
    ui.note(
        f"chain proof of height {statement.height} ({kb_text(len(data))}; heights proven: {proven}) "
        f"in {seconds_text(seconds)}"
    )
    ui.note(f"  light client, one check from genesis: valid; latest root {digest_hex(statement.latest_root)}")
    ui.note(
        f"  rollup-verify --vk {chain.chain_key_path} --chain-proof {chain.chain_proof_path} "
        f"--genesis-root {digest_hex(genesis)}"
    )


def extend_chain_proof(chain: ChainDirectory, ui: Ui) -> None:
    """After block proofs: extend the chain proof as far as the proven blocks reach."""
    from rollup.chain_proofs import provable_height

    height = provable_height(chain.storage)
    if height == GENESIS_HEIGHT:
        ui.note(f"chain proof: waits for block {GENESIS_HEIGHT + 1} (`rollup block prove {GENESIS_HEIGHT + 1}`)")
        return
    prove_chain_and_export(chain, height, ui)
    if height < chain.latest_block:
        ui.note(f"chain proof: block {height + 1} is not proven yet, so the chain proof stops at {height}")


def cmd_chain_prove(args: argparse.Namespace, ui: Ui) -> int:
    from rollup.chain_proofs import provable_height

    with open_chain(args, ui, lock=False) as chain:
        height = provable_height(chain.storage) if args.number is None else args.number
        if height == GENESIS_HEIGHT:
            raise CliError(f"no block is proven yet: run `rollup block prove {GENESIS_HEIGHT + 1}` first")
        chain.require_block(height)
        prove_chain_and_export(chain, height, ui)
    return 0


def cmd_chain_export(args: argparse.Namespace, ui: Ui) -> int:
    with open_chain(args, ui, lock=False) as chain:
        stored = chain.storage.chain_proofs()
        height = max(stored, default=GENESIS_HEIGHT) if args.number is None else args.number
        if height not in stored:
            raise CliError(f"no chain proof of height {height}: run `rollup chain prove {height}` first")
        data = stored[height]
        key_path = chain.chain_key_path
    out = Path(args.out)
    write_output(out, data, "the chain proof")
    ui.note(f"wrote {out} ({kb_text(len(data))}): the chain proof of height {height}")
    ui.note(f"  verify: rollup-verify --vk {key_path} --chain-proof {out} --genesis-root HEX")
    return 0
