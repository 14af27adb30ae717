"""Sequencer signatures as a client checks them: receipt batches, headers, equivocation evidence.

py_ecc verifies in about a second, so each test checks few signatures.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from py_ecc.bls import G2ProofOfPossession

from verifier import light_client
from verifier.sequencer_signatures import (
    GENESIS_CHAIN_DIGEST,
    BlockHeader,
    SignatureError,
    canonical_json,
    check_equivocation,
    leaf_hash,
    merkle_path,
    merkle_root,
    next_chain_digest,
    receipts_message,
    root_from_path,
    verify_header,
    verify_receipt,
)

SECRET = G2ProofOfPossession.KeyGen(b"test sequencer key seed, 32 byte")
PUBLIC = bytes(G2ProofOfPossession.SkToPk(SECRET))
OTHER = bytes(G2ProofOfPossession.SkToPk(G2ProofOfPossession.KeyGen(b"another sequencer key seed......")))


def sign(message: bytes) -> bytes:
    return bytes(G2ProofOfPossession.Sign(SECRET, message))


def header(number: int = 3, new_root: tuple[int, int, int, int] = (5, 6, 7, 8)) -> BlockHeader:
    chain = next_chain_digest(GENESIS_CHAIN_DIGEST, number, (1, 2, 3, 4), new_root, (9, 9, 9, 9))
    return BlockHeader(number, (1, 2, 3, 4), new_root, (9, 9, 9, 9), chain, leaf_hash(b"receipts"))


@given(st.integers(min_value=1, max_value=40), st.data())
def test_every_audit_path_leads_to_the_root(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(size)]
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    root = merkle_root(leaves)
    assert root_from_path(leaves[index], index, size, merkle_path(leaves, index)) == root
    other = (index + 1) % size
    if other != index:
        assert root_from_path(leaves[other], index, size, merkle_path(leaves, index)) != root


def test_a_signed_receipt_checks_and_a_changed_one_does_not() -> None:
    receipts = [{"submission": f"{i:064x}", "user_id": i, "block": 7} for i in range(5)]
    leaves = [leaf_hash(canonical_json(r)) for r in receipts]
    root = merkle_root(leaves)
    signed = {
        "receipt": receipts[3],
        "batch": {"root": root.hex(), "index": 3, "size": 5, "path": [p.hex() for p in merkle_path(leaves, 3)]},
        "signature": sign(receipts_message(root)).hex(),
    }
    assert verify_receipt(PUBLIC, signed) == receipts[3]
    promised_elsewhere = {**signed, "receipt": {**receipts[3], "block": 8}}
    with pytest.raises(SignatureError, match="not in the signed batch"):
        verify_receipt(PUBLIC, promised_elsewhere)
    with pytest.raises(SignatureError, match="not the sequencer's"):
        verify_receipt(OTHER, signed)
    with pytest.raises(SignatureError, match="malformed"):
        verify_receipt(PUBLIC, {"receipt": receipts[3]})


def test_header_json_round_trip_and_signature() -> None:
    h = header()
    assert BlockHeader.from_json(h.to_json()) == h
    signature = sign(h.message())
    verify_header(PUBLIC, h, signature)
    with pytest.raises(SignatureError):
        verify_header(PUBLIC, dataclasses.replace(h, number=4), signature)
    with pytest.raises(SignatureError, match="malformed"):
        BlockHeader.from_json({**h.to_json(), "new_root": "xyz"})


def test_two_signed_headers_for_one_height_are_equivocation() -> None:
    first, second = header(), header(new_root=(50, 60, 70, 80))
    s1, s2 = sign(first.message()), sign(second.message())
    assert check_equivocation(PUBLIC, first, s1, second, s2) == 3
    with pytest.raises(SignatureError, match="same header"):
        check_equivocation(PUBLIC, first, s1, first, s1)
    with pytest.raises(SignatureError, match="different heights"):
        check_equivocation(PUBLIC, first, s1, header(number=4), s2)
    with pytest.raises(SignatureError, match="not the sequencer's"):
        check_equivocation(PUBLIC, first, s1, second, s1)


def test_rollup_verify_checks_equivocation_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = []
    for name, h in (("a", header()), ("b", header(new_root=(50, 60, 70, 80)))):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"header": h.to_json(), "header_signature": sign(h.message()).hex()}))
        files.append(str(path))
    assert light_client.main(["--equivocation", *files, "--sequencer-key", PUBLIC.hex()]) == 0
    assert "two different headers for block 3" in capsys.readouterr().out
    assert light_client.main(["--equivocation", files[0], files[0], "--sequencer-key", PUBLIC.hex()]) == 1
    assert light_client.main(["--equivocation", *files]) == 2


def test_importing_the_signatures_keeps_the_recursion_limit() -> None:
    # py_ecc raises it to 100,000 on import; then deeply nested JSON crashes the process instead of raising
    program = (
        "import sys; limit = sys.getrecursionlimit(); import verifier.sequencer_signatures; "
        "assert sys.getrecursionlimit() == limit, sys.getrecursionlimit()"
    )
    assert subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=300).returncode == 0
