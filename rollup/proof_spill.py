"""Finished proofs that the database could not take, kept in files until it can.

A proof costs seconds to minutes of work; if storing it fails (the database
stays locked past the bounded wait, the disk is full), it is written to
``SPILLED_PROOFS_DIR/NNNN.NODE.proof`` beside the database instead (``/`` in
the node key becomes ``.``), atomically and owner-only. Reading a block's
proofs includes its spilled ones, and the next successful proof write moves
every spilled proof into the database and deletes its file; so a finished
proof is never dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

from rollup.files import write_atomic

_NODE_KEY = re.compile(r"session/\d+|agg/\d+/\d+|block")
_SPILL_NAME = re.compile(r"(\d{4,})\.([a-z0-9.]+)\.proof")


def spill_path(directory: Path, block_number: int, node: str) -> Path:
    """Where the spilled proof of ``node`` of block ``block_number`` is kept."""
    if not _NODE_KEY.fullmatch(node):
        raise ValueError(f"not a proof node key: {node!r}")
    return directory / f"{block_number:04d}.{node.replace('/', '.')}.proof"


def spill(directory: Path, block_number: int, node: str, proof: bytes) -> Path:
    """Write a proof to its spill file (FileWriteError if even that fails) and return the path."""
    path = spill_path(directory, block_number, node)
    write_atomic(path, proof)
    return path


def spilled(directory: Path) -> dict[tuple[int, str], Path]:
    """Every spilled proof in ``directory`` by (block number, node key); other files are ignored."""
    if not directory.is_dir():
        return {}
    found: dict[tuple[int, str], Path] = {}
    for path in sorted(directory.iterdir()):
        match = _SPILL_NAME.fullmatch(path.name)
        node = match.group(2).replace(".", "/") if match else ""
        if match and _NODE_KEY.fullmatch(node):
            found[(int(match.group(1)), node)] = path
    return found
