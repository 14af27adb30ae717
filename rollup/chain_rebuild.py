"""Rebuilding a usable chain directory from the genesis root and exported block files alone.

``rebuild_chain_dir(vk, source, genesis_root, target)`` first verifies every
block proof in ``source`` from ``genesis_root`` and checks every data file
against its proof (:func:`rollup.block_data.rebuild_public_state`), then writes
a new chain directory ``target`` that an operator continues from:

* its database holds every block (roots, data digest, public data), the global
  tree and every user as a :class:`~rollup.state.PublicUser` (outbox records and
  tree, opaque digest): the operator rebuilt from public data holds no private
  state at all; each block's proof is its stored block proof (the block's
  sessions are vouched for by it: there is no session to re-execute);
* ``target/proofs`` holds the exported proofs and data files, copied, and
  ``target/block.vk`` the block verifier key;
* every user is named ``user-ID`` (the operator's names are not public data).

So ``session submit``, ``block build``, ``block prove`` and ``block export``
continue on it, and the users' wallets, which keep their own state, prove
their next sessions against it as before. Nothing is written unless every file
checks; ``target`` must not exist yet or be empty.
"""

from __future__ import annotations

from pathlib import Path

from rollup.block import assemble_block, commit_block, published_session
from rollup.block_data import DATA_SUFFIX, RebuiltState, rebuild_public_state
from rollup.block_plan import BLOCK_NODE
from rollup.chain_dir import default_name, proof_filename
from rollup.chain_integrity import PROOFS_DIR, VK_FILE
from rollup.errors import ChainDirError
from rollup.files import make_private_directory, write_atomic
from rollup.params import DATABASE_FILENAME
from rollup.state import ChainState
from rollup.storage import Storage
from verifier.hashing import Digest


def rebuild_chain_dir(vk_file: Path, source: Path, genesis_root: Digest, target: Path) -> RebuiltState:
    """Verify the block files in ``source`` and write the chain directory ``target`` (see the module docstring).

    BlockDataError or the light client's ValueErrors for files that do not check (nothing written);
    ChainDirError when ``target`` is not empty.
    """
    rebuilt = rebuild_public_state(vk_file, source, genesis_root)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ChainDirError(f"{target} already exists and is not empty: rebuild into a new directory")
    make_private_directory(target / PROOFS_DIR)
    state = ChainState()
    with Storage.open(target / DATABASE_FILENAME, create=True) as storage:
        for data, proof in zip(rebuilt.data, rebuilt.proofs, strict=True):
            sessions = [published_session(state, state.root, state.leaf(e.user_id), e) for e in data.sessions]
            executed = assemble_block(state, sessions)
            storage.write_block(executed)
            storage.write_proof(data.number, BLOCK_NODE, proof)
            commit_block(state, executed)
            name = proof_filename(data.number)
            write_atomic(target / PROOFS_DIR / name, proof)
            write_atomic((target / PROOFS_DIR / name).with_suffix(DATA_SUFFIX), data.to_bytes())
        storage.set_names({default_name(user): user for user in sorted(state.users)})
    if rebuilt.blocks:
        write_atomic(target / VK_FILE, vk_file.read_bytes())
    return rebuilt
