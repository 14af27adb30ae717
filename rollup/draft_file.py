"""``DIR/pending.json``: the draft of the next block, kept between commands.

    {"version": 1, "block": N, "read_root": HEX, "sessions": {user id: [operation, ...]}}

A draft records the block number and read root it was made for. One found for
a block that has been built since (a crash after the build, before the draft
was removed) is stale: it is dropped with a warning, never applied twice.
Each operation is re-validated against the chain as it is added back, so a
hand-edited draft cannot smuggle in an invalid operation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from rollup.chain_integrity import PENDING_FILE
from rollup.errors import ChainDirError, MalformedSessionError, RollupError
from rollup.files import remove_file, write_atomic
from rollup.scenario import BlockDraft
from rollup.state import ChainState, Secret
from rollup.strict_input import load_json_file
from verifier.light_client import digest_hex

DRAFT_VERSION = 1
MAX_PENDING_BYTES = 16 << 20
MAX_PENDING_DEPTH = 5
"""``pending.json``: top, sessions, a user's operations, an operation, its values."""


def load_draft(
    directory: Path,
    state: ChainState,
    next_block: int,
    secret_of_user: Callable[[int], Secret],
    warnings: list[str],
) -> BlockDraft:
    """The draft in ``directory`` for block ``next_block`` on ``state`` (empty if none, or stale: then a
    warning is appended and the file removed); ChainDirError when it is unusable or holds an invalid operation."""
    draft = BlockDraft(state)
    file = directory / PENDING_FILE
    if not file.exists():
        return draft
    document = load_json_file(
        file, "the draft", max_bytes=MAX_PENDING_BYTES, max_depth=MAX_PENDING_DEPTH, error=ChainDirError
    )
    try:
        block, root = document["block"], document["read_root"]
        ops = BlockDraft.ops_from_json(document["sessions"])
    except (ValueError, KeyError, TypeError, MalformedSessionError) as exc:
        raise ChainDirError(f"{file} is unusable: {exc}") from exc
    if block != next_block or root != digest_hex(state.root):
        warnings.append(f"dropped {file.name}: it was made for block {block}, which has been built since")
        remove_file(file)
        return draft
    for user_id, user_ops in ops.items():
        secret = secret_of_user(user_id)
        for op in user_ops:
            try:
                draft.add(user_id, secret, op)
            except RollupError as exc:
                raise ChainDirError(f"{file} holds an invalid operation of user {user_id}: {exc}") from exc
    return draft


def save_draft(directory: Path, draft: BlockDraft, next_block: int, state: ChainState) -> None:
    """Write ``draft`` for block ``next_block`` on ``state`` atomically (remove the file when it is empty)."""
    file = directory / PENDING_FILE
    if draft.is_empty():
        remove_file(file)
        return
    document = {
        "version": DRAFT_VERSION,
        "block": next_block,
        "read_root": digest_hex(state.root),
        "sessions": draft.to_json(),
    }
    write_atomic(file, (json.dumps(document, indent=2) + "\n").encode())
