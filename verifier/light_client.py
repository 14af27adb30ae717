"""The light client: verify block proofs with nothing but the verifier package.

A block proof's public inputs are its statement

    (prev_root[4], new_root[4], block_number, data_root[4], whitelist_root[4])

and the block verifier key pins the whole aggregation tree: the block
circuit checks every child against the whitelist whose root is a constant of
that circuit. So a light client that trusts the key and a previous root
accepts the new root after one proof verification, in time independent of the
number of users and transactions in the block.

Command line (``rollup-verify``)::

    rollup-verify --vk block.vk --proof block-1.proof [--prev-root HEX]
    rollup-verify --vk block.vk --chain DIR --genesis-root HEX

Exit status: 0 valid, 1 invalid (reason printed), 2 unreadable or malformed input.

Every input is untrusted and bounded before it is read: a key file may hold at
most ``MAX_KEY_BYTES``, and a proof file at most the exact size of a proof for
that key (:func:`verifier.serialization.proof_size`); a larger file (a 4 GiB
file, ``/dev/zero``) is refused after reading at most one byte more than the
limit, and the proofs of ``--chain`` are read and verified one at a time. A
root must be 64 hex digits (an empty ``--prev-root ""`` is refused, not taken
as "no trusted root"). Every bad input is one ``error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from verifier.errors import VerificationError, VerificationFailure
from verifier.hashing import Digest
from verifier.plonk import verify_proof
from verifier.poseidon2 import load_kernel
from verifier.proof import ProofWithPublicInputs, VerifierKey
from verifier.serialization import FormatError, proof_from_bytes, proof_size, verifier_key_from_bytes

BLOCK_STATEMENT_LEN = 17
PROOF_SUFFIX = ".proof"
MAX_KEY_BYTES = 1 << 20
"""Largest verifier-key file read (a block key is about 1 kB)."""


@dataclass(frozen=True)
class BlockStatement:
    prev_root: Digest
    new_root: Digest
    block_number: int
    data_root: Digest
    whitelist_root: Digest

    def elements(self) -> list[int]:
        return [*self.prev_root, *self.new_root, self.block_number, *self.data_root, *self.whitelist_root]

    @staticmethod
    def from_elements(v: Sequence[int]) -> BlockStatement:
        if len(v) != BLOCK_STATEMENT_LEN:
            raise ValueError(f"a block statement has {BLOCK_STATEMENT_LEN} elements, got {len(v)}")
        x = [int(e) for e in v]

        def digest(i: int) -> Digest:
            return x[i], x[i + 1], x[i + 2], x[i + 3]

        return BlockStatement(digest(0), digest(4), x[8], digest(9), digest(13))


def digest_hex(d: Digest) -> str:
    """A digest as 64 hex digits (four big-endian 16-digit elements)."""
    return "".join(f"{v:016x}" for v in d)


def parse_digest_hex(text: str) -> Digest:
    """Inverse of ``digest_hex``; ValueError with a clear message on bad input."""
    t = text.strip().lower().removeprefix("0x")
    if len(t) != 64 or any(c not in "0123456789abcdef" for c in t):
        raise ValueError(f"a root is 64 hex digits, got {text!r}")
    from verifier.field import P

    values = [int(t[i : i + 16], 16) for i in range(0, 64, 16)]
    if any(v >= P for v in values):
        raise ValueError(f"root {text!r} has an element that is not a canonical field element")
    return values[0], values[1], values[2], values[3]


class BlockRejectedError(ValueError):
    """The block proof does not verify, or does not extend the trusted root.

    ``kind`` is the failed proof check when the proof itself was rejected, None when the
    light client's own checks (statement form, root linkage, numbering) rejected the block.
    """

    def __init__(self, message: str, kind: VerificationFailure | None = None) -> None:
        super().__init__(message)
        self.kind = kind


def verify_block(vk: VerifierKey, proof: ProofWithPublicInputs, prev_root: Digest | None = None) -> BlockStatement:
    """Verify a block proof; with ``prev_root``, also require that it extends that root."""
    try:
        statement = BlockStatement.from_elements(proof.public_inputs)
    except ValueError as exc:
        raise BlockRejectedError(f"not a block proof: {exc}") from exc
    try:
        verify_proof(vk, proof.proof, proof.public_inputs)
    except VerificationError as exc:
        raise BlockRejectedError(str(exc), exc.kind) from exc
    if prev_root is not None and statement.prev_root != prev_root:
        raise BlockRejectedError(
            f"block {statement.block_number} extends root {digest_hex(statement.prev_root)}, "
            f"not the trusted root {digest_hex(prev_root)}"
        )
    return statement


def verify_chain(vk: VerifierKey, proofs: Iterable[ProofWithPublicInputs], genesis_root: Digest) -> BlockStatement:
    """Verify consecutive blocks (numbered from the first one's number) from a trusted genesis root, taking
    each proof from ``proofs`` only when the previous one has verified; returns the last statement."""
    root = genesis_root
    statement = None
    expected_number = None
    for proof in proofs:
        statement = verify_block(vk, proof, root)
        if expected_number is not None and statement.block_number != expected_number:
            raise BlockRejectedError(f"expected block {expected_number}, got block {statement.block_number}")
        expected_number = statement.block_number + 1
        root = statement.new_root
    if statement is None:
        raise BlockRejectedError("no block proofs to verify")
    return statement


def describe(statement: BlockStatement) -> str:
    return "\n".join(
        [
            f"  block      {statement.block_number}",
            f"  prev root  {digest_hex(statement.prev_root)}",
            f"  new root   {digest_hex(statement.new_root)}",
            f"  data root  {digest_hex(statement.data_root)}",
            f"  whitelist  {digest_hex(statement.whitelist_root)}",
        ]
    )


def read_bounded(path: str, what: str, limit: int) -> bytes:
    """The bytes of ``path``; FormatError if it cannot be read or holds more than ``limit`` bytes (checked
    from its size when it has one, else by reading at most ``limit + 1`` bytes)."""
    too_big = f"{what} {path} is larger than {limit} bytes, the most a valid one can be"
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if stat.S_ISREG(status.st_mode) and status.st_size > limit:
                raise FormatError(too_big)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FormatError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise FormatError(too_big)
    return data


def _chain_files(directory: str) -> list[Path]:
    d = Path(directory)
    if not d.is_dir():
        raise FormatError(f"{directory} is not a directory")
    files = sorted(d.glob(f"*{PROOF_SUFFIX}"))
    if not files:
        raise FormatError(f"no *{PROOF_SUFFIX} files in {directory}")
    return files


def _proofs(files: Sequence[Path], limit: int) -> Iterator[ProofWithPublicInputs]:
    """Each file's proof, read (bounded) and parsed only when asked for."""
    for file in files:
        yield proof_from_bytes(read_bounded(str(file), "proof", limit))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rollup-verify", description="Verify rollup block proofs (light client).")
    parser.add_argument("--vk", required=True, help="block verifier key file")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--proof", help="a block proof file")
    group.add_argument("--chain", help=f"a directory of block proofs (*{PROOF_SUFFIX}, in name order)")
    parser.add_argument("--prev-root", help="trusted previous global root (hex), for --proof")
    parser.add_argument("--genesis-root", help="trusted genesis root (hex), required with --chain")
    args = parser.parse_args(argv)
    try:
        vk = verifier_key_from_bytes(read_bounded(args.vk, "verifier key", MAX_KEY_BYTES))
        limit = proof_size(vk.common)
        if args.chain:
            if args.genesis_root is None:
                raise FormatError("--chain needs --genesis-root")
            trusted = parse_digest_hex(args.genesis_root)
            files = _chain_files(args.chain)
        else:
            trusted_root = None if args.prev_root is None else parse_digest_hex(args.prev_root)
            proof = proof_from_bytes(read_bounded(args.proof, "proof", limit))
        loading = time.perf_counter()
        load_kernel()
        start = time.perf_counter()
        if args.chain:
            statement = verify_chain(vk, _proofs(files, limit), trusted)
        else:
            statement = verify_block(vk, proof, trusted_root)
    except BlockRejectedError as exc:
        print(f"invalid: {exc}")
        return 1
    except (FormatError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    what = f"{len(files)} blocks" if args.chain else "block"
    print(f"valid ({what} verified in {elapsed * 1000:.1f} ms; kernel loaded once in {start - loading:.2f} s)")
    print(describe(statement))
    if args.chain:
        print(f"latest trusted root: {digest_hex(statement.new_root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
