"""Slow: proving end to end with the ``rollup`` commands.

The seed demo and scripted chains are proven for real, and every exported block
proof is checked with the light client (``rollup-verify``), including tampered
files and wrong previous roots.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cli_support import Captured, claim, run_cli, send, write_json

from rollup.block_plan import BLOCK_NODE
from rollup.chain_dir import ChainDirectory
from rollup.params import SESSION_SLOTS as MAX_SESSION_OPERATIONS
from verifier import light_client


def verify(vk: Path, proof: Path, prev_root: str | None = None) -> int:
    argv = ["--vk", str(vk), "--proof", str(proof)]
    return light_client.main(argv + (["--prev-root", prev_root] if prev_root else []))


def check_tampering(vk: Path, proof: Path, prev_root: str, tmp_path: Path, rng: random.Random, samples: int) -> None:
    """Flipping any sampled byte of the proof file makes rollup-verify reject it (exit 1 or 2)."""
    data = proof.read_bytes()
    positions = {*range(8), *range(len(data) - 8, len(data)), *rng.sample(range(len(data)), samples)}
    bad = tmp_path / "tampered.proof"
    for position in sorted(positions):
        flipped = bytearray(data)
        flipped[position] ^= rng.randrange(1, 256)
        bad.write_bytes(bytes(flipped))
        assert verify(vk, bad, prev_root) in (1, 2), f"a flip at byte {position} of {proof.name} was accepted"


@pytest.mark.slow
def test_demo_end_to_end(capsys: Captured, tmp_path: Path) -> None:
    chain = tmp_path / "demo"
    code, out, err = run_cli(capsys, "demo", "--dir", str(chain))
    assert code == 0, err
    assert "all 3 block proofs verified" in out and "agg/" in out and "re-execute" in out
    with ChainDirectory.open(chain) as opened:
        balances = {row.name: row.balance for row in opened.balances()}
        blocks = opened.storage.blocks()
    assert balances == {"Sam": 45, "Jack": 150, "Kate": 70, "Kim": 135}
    vk = chain / "block.vk"
    for block in blocks:
        proof = chain / "proofs" / f"block-{block.number:04d}.proof"
        assert verify(vk, proof, light_client.digest_hex(block.prev_root)) == 0
    assert verify(vk, chain / "proofs" / "block-0002.proof", light_client.digest_hex(blocks[0].prev_root)) == 1
    assert "chain proof of height 3" in out
    genesis = light_client.digest_hex(blocks[0].prev_root)
    key, chain_proof = str(chain / "chain.key"), str(chain / "chain.proof")
    assert light_client.main(["--vk", key, "--chain-proof", chain_proof, "--genesis-root", genesis]) == 0
    assert "height       3" in capsys.readouterr().out


def random_scenario(rng: random.Random, num_users: int, num_blocks: int) -> dict[str, Any]:
    """Random sends (some overdrawing) and claims among ``num_users`` users."""
    names = [f"u{i:02d}" for i in range(num_users)]
    users = {name: rng.randrange(20, 150) for name in names}
    blocks = []
    for _ in range(num_blocks):
        ops: list[dict[str, Any]] = []
        for _ in range(rng.randrange(num_users // 2, num_users + 1)):
            a, b = rng.sample(names, 2)
            ops.append(send(a, b, rng.randrange(1, 80)))
        ops += [claim(name) for name in rng.sample(names, num_users // 2)]
        rng.shuffle(ops)
        blocks.append(ops)
    return {"users": users, "blocks": blocks}


def model_balances(scenario: dict[str, Any]) -> dict[str, int]:
    """An independent computation: a dict of balances and a list of transfers in flight.

    A send debits at once (and is dropped if it overdraws); a claim credits every
    transfer to the claimant sent in an earlier block and not claimed yet.
    """
    balance = dict(scenario["users"])
    in_flight: list[tuple[int, str, int]] = []  # (block sent, recipient, amount)
    for k, ops in enumerate(scenario["blocks"]):
        used: Counter[str] = Counter()
        for op in ops:
            if "send" in op:
                s = op["send"]
                if s["amount"] <= balance[s["from"]]:
                    assert used[s["from"]] < MAX_SESSION_OPERATIONS
                    used[s["from"]] += 1
                    balance[s["from"]] -= s["amount"]
                    in_flight.append((k, s["to"], s["amount"]))
            else:
                by = op["claim"]["by"]
                mine = [t for t in in_flight if t[1] == by and t[0] < k]
                assert used[by] + len(mine) <= MAX_SESSION_OPERATIONS
                used[by] += len(mine)
                balance[by] += sum(t[2] for t in mine)
                in_flight = [t for t in in_flight if t not in mine]
    return balance


def check_random_run(capsys: Captured, tmp_path: Path, num_users: int, num_blocks: int, seed: int) -> None:
    rng = random.Random(seed)
    scenario = random_scenario(rng, num_users, num_blocks)
    path = write_json(tmp_path / "scenario.json", scenario)
    chain = tmp_path / "chain"
    code, out, err = run_cli(capsys, "run", str(path), "--dir", str(chain), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["balances"] == model_balances(scenario)
    blocks = document["blocks"]
    assert blocks[0]["number"] == 1 and len(blocks) == num_blocks + 1  # every random block has a valid op
    vk = chain / "block.vk"
    for block in blocks:
        assert verify(vk, Path(block["proof"]), block["prev_root"]) == 0
    genesis = blocks[0]["prev_root"]
    assert light_client.main(["--vk", str(vk), "--chain", str(chain / "proofs"), "--genesis-root", genesis]) == 0
    # another block's previous root is rejected
    for block, other in zip(blocks, blocks[1:] + blocks[:1], strict=True):
        assert verify(vk, Path(block["proof"]), other["prev_root"]) == 1
    # flipped bytes are rejected: many positions in one proof, a few in every other
    check_tampering(vk, Path(blocks[-1]["proof"]), blocks[-1]["prev_root"], tmp_path, rng, samples=48)
    for block in blocks[:-1]:
        check_tampering(vk, Path(block["proof"]), block["prev_root"], tmp_path, rng, samples=4)


@pytest.mark.slow
def test_run_random_scenario_small(capsys: Captured, tmp_path: Path) -> None:
    check_random_run(capsys, tmp_path, num_users=6, num_blocks=2, seed=7)
    # a damaged stored proof is detected and proven again on resumption; the rest is reused
    chain = tmp_path / "chain"
    with ChainDirectory.open(chain) as opened:
        stored = opened.storage.block_proofs(1)
        node = sorted(k for k in stored if k != BLOCK_NODE)[0]  # a session's or a batch's
        opened.storage.write_proof(1, node, b"garbage")
    code, out, err = run_cli(capsys, "block", "prove", "1", "--dir", str(chain))
    assert code == 0, err
    assert f"the stored proof {node} does not verify" in err
    assert "block 1: 1 proof in" in out  # only the damaged one is proven again
    with ChainDirectory.open(chain) as opened:
        assert opened.storage.block_proofs(1)[node] != b"garbage"
        prev = light_client.digest_hex(opened.storage.block(1).prev_root)
    assert verify(chain / "block.vk", chain / "proofs" / "block-0001.proof", prev) == 0


@pytest.mark.slow
def test_run_random_scenario_acceptance_20_users_4_blocks(capsys: Captured, tmp_path: Path) -> None:
    """The acceptance test of the CLI issue: 20 users, 4 blocks of random transfers (about 15 minutes on 2 cores)."""
    check_random_run(capsys, tmp_path, num_users=20, num_blocks=4, seed=2024)
