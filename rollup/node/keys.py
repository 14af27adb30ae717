"""The sequencer key file: one BLS12-381 secret key, readable by its owner only.

``DIR/sequencer.key`` holds ``{"version": 1, "scheme": ..., "secret_key": HEX}``.
It is created with mode 0600 (``O_CREAT | O_EXCL``, so an existing file is
never overwritten), and a key file that the group or others may read is
refused: a leaked sequencer key lets anyone sign headers and receipts in the
sequencer's name.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from rollup.errors import RollupError
from rollup.files import create_owner_only_file, read_owner_only_text
from verifier.sequencer_signatures import SCHEME, G2ProofOfPossession, receipts_message

KEY_FILE = "sequencer.key"
KEY_SEED_BYTES = 32


class KeyFileError(RollupError):
    """The sequencer key file is unreadable, malformed or readable by others."""


@dataclass(frozen=True)
class SequencerKey:
    """A BLS secret key and its public key (48 bytes, compressed G1)."""

    secret: int
    public_key: bytes

    @staticmethod
    def from_secret(secret: int) -> SequencerKey:
        return SequencerKey(secret, bytes(G2ProofOfPossession.SkToPk(secret)))

    def sign(self, message: bytes) -> bytes:
        """The 96-byte BLS signature of ``message``."""
        return bytes(G2ProofOfPossession.Sign(self.secret, message))

    def sign_receipts(self, root: bytes) -> bytes:
        """The signature of a receipt batch with Merkle root ``root``."""
        return self.sign(receipts_message(root))


def create_key_file(path: Path) -> SequencerKey:
    """Generate a key from the OS's randomness and write it to ``path`` (mode 0600; KeyFileError if it exists)."""
    key = SequencerKey.from_secret(G2ProofOfPossession.KeyGen(secrets.token_bytes(KEY_SEED_BYTES)))
    document = {"version": 1, "scheme": SCHEME, "secret_key": f"{key.secret:064x}"}
    try:
        create_owner_only_file(path, json.dumps(document, indent=2) + "\n")
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a sequencer key") from exc
    return key


def load_key_file(path: Path) -> SequencerKey:
    """Read the key at ``path``; KeyFileError when others may read it or it is malformed."""
    try:
        document = json.loads(read_owner_only_text(path, "a sequencer key", KeyFileError))
        if document.get("version") != 1:
            raise ValueError(f"unknown version {document.get('version')!r}")
        secret = int(document["secret_key"], 16)
    except OSError as exc:
        raise KeyFileError(f"cannot read the sequencer key {path}: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyFileError(f"{path} is not a sequencer key file: {exc}") from exc
    return SequencerKey.from_secret(secret)


def open_or_create_key(directory: Path) -> SequencerKey:
    """The node's key in ``directory/sequencer.key``, generated on first start."""
    path = directory / KEY_FILE
    return load_key_file(path) if path.exists() else create_key_file(path)
