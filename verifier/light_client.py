"""The light client: verify block proofs with nothing but the verifier package.

A block proof's public inputs are its statement

    (prev_root[4], new_root[4], block_number, data_root[4], whitelist_root[4])

and the block verifier key pins the whole aggregation tree: the block
circuit checks every child against the whitelist whose root is a constant of
that circuit. So a light client that trusts the key and a previous root
accepts the new root after one proof verification, in time independent of the
number of users and transactions in the block.

A light client trusts nothing implicitly: a single block proof is checked
against a trusted previous root (or, with an explicit flag, alone, and then
says its previous root is untrusted); chain mode starts at block 1 from the
trusted genesis root and requires consecutive numbers; and every key must
reach the documented security (``verifier.soundness``), recomputed from its
parameters. One chain proof (``verifier.chain``) checks the whole chain from
genesis in one verification.

Command line (``rollup-verify``)::

    rollup-verify --vk block.vk --proof block-1.proof --prev-root HEX     (or --untrusted-prev-root)
    rollup-verify --vk block.vk --chain DIR --genesis-root HEX
    rollup-verify --vk chain.key --chain-proof chain-5.proof --genesis-root HEX
    rollup-verify --vk chain.key --follow URL --genesis-root HEX --state FILE [--sequencer-key HEX] [--until-block N]
    rollup-verify --equivocation BLOCK-A.json BLOCK-B.json --sequencer-key HEX

Exit status: 0 valid, 1 invalid (reason printed), 2 unreadable or malformed
input or no trusted root, 3 a key below the documented security.

Every input is untrusted and bounded before it is read: a key file may hold at
most ``MAX_KEY_BYTES``, and a proof file at most the exact size of a proof for
that key (:func:`verifier.serialization.proof_size`); a larger file (a 4 GiB
file, ``/dev/zero``) is refused after reading at most one byte more than the
limit, and the proofs of ``--chain`` are read and verified one at a time. A
root must be 64 hex digits (an empty ``--prev-root ""`` is refused, not taken
as "no trusted root"). Every bad input is one ``error:`` line and exit 2.

Verification runs the compiled paths of ``verify_proof`` (V(zeta) from the
circuit's traced tape, all FRI queries batched; a rejection is explained by
the readable reference). The command loads the kernels and traces the key's
tape before it starts the clock (:func:`prepare`), and reports both times.
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

from verifier import fri_batch
from verifier.chain import GENESIS_HEIGHT, ChainError, chain_key_from_bytes, verify_chain_proof
from verifier.errors import VerificationError, VerificationFailure
from verifier.hashing import Digest
from verifier.plonk import verify_proof
from verifier.poseidon2 import load_kernel
from verifier.proof import ProofWithPublicInputs, VerifierKey
from verifier.serialization import FormatError, proof_from_bytes, proof_size, verifier_key_from_bytes
from verifier.soundness import WeakKeyError, require_documented_security
from verifier.vanishing_tape import load_kernel as load_tape_kernel
from verifier.vanishing_tape import verifier_tape

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


def prepare(vk: VerifierKey) -> None:
    """Load every kernel verification runs and trace the key's V(zeta) tape: once per process and key.

    Verification does this itself when needed; callers that time verification call it first.
    """
    load_kernel()
    fri_batch.load_kernels()
    load_tape_kernel()
    verifier_tape(vk.common)


def verify_block(vk: VerifierKey, proof: ProofWithPublicInputs, prev_root: Digest | None) -> BlockStatement:
    """Verify a block proof under a key of the documented security (``WeakKeyError`` otherwise); with
    ``prev_root``, also require that it extends that root (None: the caller chose not to trust any)."""
    try:
        statement = BlockStatement.from_elements(proof.public_inputs)
    except ValueError as exc:
        raise BlockRejectedError(f"not a block proof: {exc}") from exc
    require_documented_security(vk)
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
    """Verify blocks 1, 2, ... in turn from a trusted genesis root (block k must extend block k - 1's new root
    and be numbered k), taking each proof from ``proofs`` only when the previous one has verified; returns the
    last statement."""
    root = genesis_root
    statement = None
    for expected_number, proof in enumerate(proofs, start=GENESIS_HEIGHT + 1):
        statement = verify_block(vk, proof, root)
        if statement.block_number != expected_number:
            raise BlockRejectedError(f"expected block {expected_number}, got block {statement.block_number}")
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rollup-verify", description="Verify rollup proofs (light client).")
    parser.add_argument(
        "--vk",
        help="block verifier key file (chain key file with --chain-proof and --follow; all modes but --equivocation)",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--proof", help="a block proof file (needs --prev-root or --untrusted-prev-root)")
    group.add_argument("--chain", help=f"a directory of block proofs 1, 2, ... (*{PROOF_SUFFIX}, in name order)")
    group.add_argument("--chain-proof", help="one chain proof: the whole chain from genesis in one check")
    parser.add_argument("--prev-root", help="trusted previous global root (hex), for --proof")
    parser.add_argument(
        "--untrusted-prev-root",
        action="store_true",
        help="check a single block proof without a trusted previous root (the output says it is untrusted)",
    )
    parser.add_argument("--genesis-root", help="trusted genesis root (hex), for --chain, --chain-proof and --follow")
    group.add_argument("--follow", metavar="URL", help="follow a node (verifier.follow); needs --genesis-root, --state")
    group.add_argument(
        "--equivocation",
        nargs=2,
        metavar="BLOCK.json",
        help="check two signed headers of one height (verifier.sequencer_signatures); needs --sequencer-key",
    )
    parser.add_argument(
        "--sequencer-key",
        metavar="HEX",
        help="the sequencer's public key: with --equivocation, and with --follow (default: pin the key the node "
        "announces on first use)",
    )
    parser.add_argument("--state", help="with --follow: file holding the trusted head (created on first use)")
    parser.add_argument("--until-block", type=int, help="with --follow: stop once the chain is verified to this block")
    parser.add_argument("--poll", type=float, default=2.0, help="with --follow: seconds between polls (default 2)")
    return parser


def _trusted_roots(args: argparse.Namespace) -> tuple[Digest | None, Digest | None]:
    """(previous root, genesis root) from the arguments; FormatError when a mode lacks its trusted root."""
    if args.proof is None and (args.prev_root is not None or args.untrusted_prev_root):
        raise FormatError("--prev-root and --untrusted-prev-root apply to --proof only")
    if args.proof is not None:
        if args.genesis_root is not None:
            raise FormatError("--genesis-root applies to --chain and --chain-proof; a single block takes --prev-root")
        if (args.prev_root is not None) == args.untrusted_prev_root:
            raise FormatError(
                "a single block proof needs a trusted previous root: pass --prev-root HEX, "
                "or --untrusted-prev-root to check the proof alone"
            )
        return (None if args.prev_root is None else parse_digest_hex(args.prev_root)), None
    if args.genesis_root is None:
        raise FormatError(f"--{'chain' if args.chain else 'chain-proof'} needs --genesis-root")
    return None, parse_digest_hex(args.genesis_root)


def _verify(args: argparse.Namespace, prev: Digest | None, genesis: Digest | None) -> list[str]:
    """Read the files, verify, and return the report (FormatError, BlockRejectedError, ChainError, WeakKeyError)."""
    key_bytes = read_bounded(args.vk, "verifier key", MAX_KEY_BYTES)
    if args.chain_proof:
        assert genesis is not None
        key = chain_key_from_bytes(key_bytes)
        proof = proof_from_bytes(read_bounded(args.chain_proof, "chain proof", proof_size(key.step.common)))
        prepare(key.step)
        start = time.perf_counter()
        chain = verify_chain_proof(key, proof, genesis)
        elapsed = time.perf_counter() - start
        return [
            f"valid (the chain from genesis verified in one proof, {elapsed * 1000:.1f} ms)",
            f"  height       {chain.height}",
            f"  latest root  {digest_hex(chain.latest_root)}",
            f"  chain digest {digest_hex(chain.chain_digest)}",
        ]
    vk = verifier_key_from_bytes(key_bytes)
    limit = proof_size(vk.common)
    files = _chain_files(args.chain) if args.chain else [Path(args.proof)]
    single = None if args.chain else next(_proofs(files, limit))
    loading = time.perf_counter()
    prepare(vk)
    start = time.perf_counter()
    if single is None:
        assert genesis is not None
        statement = verify_chain(vk, _proofs(files, limit), genesis)
    else:
        statement = verify_block(vk, single, prev)
    elapsed = time.perf_counter() - start
    what = f"{len(files)} blocks" if args.chain else "block"
    prepared = f"kernels and key prepared once in {start - loading:.2f} s"
    lines = [f"valid ({what} verified in {elapsed * 1000:.1f} ms; {prepared})"]
    lines.append(describe(statement))
    if args.chain:
        lines.append(f"latest trusted root: {digest_hex(statement.new_root)}")
    elif prev is None:
        lines.append("previous root UNTRUSTED: the proof is valid, but nothing ties its previous root to a trusted one")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status: 0 valid, 1 invalid, 2 unreadable or malformed input (or no trusted root), 3 weak key."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.equivocation:
        from verifier.sequencer_signatures import equivocation_main

        return equivocation_main(args.equivocation, args.sequencer_key)
    if args.vk is None:
        parser.error("--vk is required")
    if args.follow:
        from verifier.follow import follow_main

        return follow_main(args)
    try:
        prev, genesis = _trusted_roots(args)
        lines = _verify(args, prev, genesis)
    except WeakKeyError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 3
    except (BlockRejectedError, ChainError) as exc:
        print(f"invalid: {exc}")
        return 1
    except (FormatError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
