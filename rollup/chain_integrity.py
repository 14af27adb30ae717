"""What opening a chain directory checks against the files beside its database.

* :func:`chain_evidence`: files only an existing chain writes (the key, the
  draft, names, exported or spilled proofs); a missing or empty database beside
  any of them is a lost database, never a new chain.
* :func:`check_exported_proofs`: an exported proof of a block after the
  database's latest one means block rows were deleted behind the chain's back.
* :func:`load_names`: the user names, from the database; a ``users.json`` of a
  chain made before schema version 2 is moved into it (when the caller may
  write) and renamed ``users.json.migrated``. Every name must pass
  :func:`rollup.strict_input.normalize_name` unchanged and map to a valid user id, and every
  registered user must have a name (its demo secret is derived from it), so a
  lost name is an error, never a silently unusable user.
* :func:`verify_stored_block_proof`: a stored block proof leaves the chain
  (``rollup block export``) only after it verifies under the chain's key and
  states exactly the stored block, so a damaged proof is never shipped.
* :func:`check_stored_block`: a stored block is shown (``rollup block show``)
  only if re-executing its stored sessions on the state before it gives its
  stored roots, public data and data root, and a stored block proof states
  them, so a row changed behind the chain's back is refused, never printed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from rollup.block import Block, replay_block
from rollup.errors import ChainDirError, RollupError, StorageError
from rollup.files import describe_os_error
from rollup.params import MAX_USERS, SPILLED_PROOFS_DIR
from rollup.storage import Storage
from rollup.strict_input import normalize_name
from verifier.light_client import MAX_KEY_BYTES, BlockRejectedError, BlockStatement, read_bounded, verify_block
from verifier.serialization import FormatError, proof_from_bytes, verifier_key_from_bytes

USERS_FILE = "users.json"
"""Names before schema version 2 (moved into the database on open, see the module docstring)."""
MIGRATED_USERS_FILE = "users.json.migrated"
PENDING_FILE = "pending.json"
VK_FILE = "block.vk"
PROOFS_DIR = "proofs"
_PROOF_FILENAME = re.compile(r"block-(\d{4,})\.proof")


def chain_evidence(directory: Path) -> list[Path]:
    """The files beside the database that only an existing chain writes (at most a few per kind)."""
    files = [directory / name for name in (VK_FILE, PENDING_FILE, USERS_FILE)]
    found = [path for path in files if path.is_file()]
    for folder in (directory / PROOFS_DIR, directory / SPILLED_PROOFS_DIR):
        found += sorted(folder.glob("*.proof"))[:2] if folder.is_dir() else []
    return found


def check_exported_proofs(directory: Path, storage: Storage, latest: int) -> None:
    """ChainDirError if ``directory/proofs`` holds a proof of a block after ``latest``."""
    folder = directory / PROOFS_DIR
    for file in sorted(folder.iterdir()) if folder.is_dir() else ():
        match = _PROOF_FILENAME.fullmatch(file.name)
        if match and int(match.group(1)) > latest:
            raise ChainDirError(
                f"{file} proves block {int(match.group(1))} but {storage.location} ends at block {latest}: "
                "blocks were removed from the database; restore it from a backup"
            )


def load_names(
    directory: Path, storage: Storage, registered: Iterable[int], writable: bool, warnings: list[str]
) -> dict[str, int]:
    """The user names (see the module docstring), given the ``registered`` user ids; what was moved or
    ignored is appended to ``warnings``."""
    names = storage.names()
    file = directory / USERS_FILE
    if file.exists():
        legacy = _read_users_file(file)
        if names and names != legacy:
            warnings.append(f"{file} is ignored: the names in the database differ from it and take precedence")
        elif not writable:
            names = legacy  # a read-only command uses the file as it is; the next change moves it
        else:
            storage.set_names(legacy)
            try:
                os.replace(file, directory / MIGRATED_USERS_FILE)
            except OSError as exc:
                raise ChainDirError(f"cannot rename {file}: {describe_os_error(exc)}") from exc
            warnings.append(f"moved the names of {file} into the database (old file: {MIGRATED_USERS_FILE})")
            names = legacy
    for name, user_id in names.items():
        try:
            canonical = normalize_name(str(name))
        except RollupError as exc:
            raise ChainDirError(f"{storage.location} holds an invalid user name: {exc}") from exc
        if canonical != name:
            raise ChainDirError(f"{storage.location} holds the user name {name!r} in a non-canonical form")
        if type(name) is not str or type(user_id) is not int or not 0 <= user_id < MAX_USERS:
            raise ChainDirError(f"{storage.location} maps {name!r} to the invalid user id {user_id}")
    nameless = sorted(set(registered) - set(names.values()))
    if nameless:
        raise ChainDirError(
            f"{storage.location} has no name for the registered user ids {nameless}: its names were deleted; "
            "restore it from a backup"
        )
    return names


def _read_users_file(file: Path) -> dict[str, int]:
    """A version-1 ``users.json``: ``{"version": 1, "users": {NAME: user id}}``; ChainDirError if unusable."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        users = document["users"]
        if document.get("version") != 1 or not isinstance(users, dict):
            raise ValueError("unknown layout")
        ids = list(users.values())
        if not all(isinstance(n, str) and type(u) is int and 0 <= u < MAX_USERS for n, u in users.items()):
            raise ValueError("names must map to user ids")
        if len(set(ids)) != len(ids):
            raise ValueError("two names share a user id")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ChainDirError(f"{file} is unusable: {exc}") from exc
    return dict(users)


def verify_stored_block_proof(vk_file: Path, block: Block, proof: bytes) -> BlockStatement:
    """The statement of a stored block proof, after the light client's check: it verifies under
    ``vk_file`` from ``block``'s previous root and states exactly ``block``; ChainDirError otherwise."""
    remedy = f"prove it again with `rollup block prove {block.number}`"
    try:
        vk = verifier_key_from_bytes(read_bounded(str(vk_file), "verifier key", MAX_KEY_BYTES))
        statement = verify_block(vk, proof_from_bytes(proof), block.prev_root)
    except (FormatError, BlockRejectedError) as exc:
        raise ChainDirError(f"the stored proof of block {block.number} fails its check ({exc}): {remedy}") from exc
    if (statement.block_number, statement.new_root, statement.data_root) != (
        block.number,
        block.new_root,
        block.data_digest,
    ):
        raise ChainDirError(f"the stored proof of block {block.number} states another block: {remedy}")
    return statement


def check_stored_block(storage: Storage, number: int, proof: bytes | None) -> Block:
    """Stored block ``number`` after the cross-checks of the module docstring (``proof``: its stored block
    proof, if any); ChainDirError naming every field that disagrees."""
    block = storage.block(number)
    restore = "the database was changed outside the rollup; restore it from a backup"
    try:
        before = storage.load_state(number - 1, verify=False)
        derived = replay_block(before, storage.block_sessions(number), block.public_data)
    except StorageError:
        raise
    except RollupError as exc:
        raise ChainDirError(f"the stored sessions of block {number} do not execute ({exc}): {restore}") from exc
    fields = {
        "previous root": (block.prev_root, derived.prev_root),
        "new root": (block.new_root, derived.new_root),
        "public data": (block.public_data, derived.public_data),
        "data root": (block.data_digest, derived.data_digest),
    }
    differing = [name for name, (stored, recomputed) in fields.items() if stored != recomputed]
    if differing:
        raise ChainDirError(
            f"block {number}: the stored {', '.join(differing)} differ from what its stored sessions give: {restore}"
        )
    if proof is not None:
        remedy = f"prove it again with `rollup block prove {number}`"
        try:
            statement = BlockStatement.from_elements(proof_from_bytes(proof).public_inputs)
        except (FormatError, ValueError) as exc:
            raise ChainDirError(f"the stored proof of block {number} is damaged ({exc}): {remedy}") from exc
        stated = (statement.block_number, statement.prev_root, statement.new_root, statement.data_root)
        if stated != (number, block.prev_root, block.new_root, block.data_digest):
            raise ChainDirError(f"the stored proof of block {number} states another block: {remedy}")
    return block
