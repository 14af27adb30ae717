"""A user's wallet directory and its key file.

    DIR/key.json     {"version": 1, "name": NAME, "secret": ["<16 hex digits>", ...]}   mode 0600

The secret is fresh randomness from the operating system's CSPRNG
(:func:`rollup.keys.new_secret`), never derived from the name. The key file is
created with mode 0600 inside a directory created with mode 0700, and it is
refused when it is readable or writable by anyone but its owner (any of the
bits 0o077 set), when its version is not :data:`KEY_FILE_VERSION`, or when its
shape is wrong: a key that others could read is a key others may hold.
Creating a wallet never overwrites an existing key file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollup.errors import RollupError
from rollup.files import create_owner_only_file, read_owner_only_text
from rollup.keys import new_secret
from rollup.params import SECRET_SIZE
from rollup.state import Secret, key_digest
from rollup.strict_input import normalize_name
from verifier.field import P
from verifier.hashing import Digest

KEY_FILE_VERSION: int = 1
KEY_FILENAME: str = "key.json"
WALLET_DIR_MODE: int = 0o700
_HEX_DIGITS: int = 16
"""A field element below p < 2^64 in hexadecimal."""


class WalletError(RollupError):
    """A wallet directory or key file that is missing, unsafe or unusable; the message says which and why."""


@dataclass(frozen=True)
class KeyFile:
    """A user's name and secret key, as stored in its wallet."""

    name: str
    secret: Secret

    @classmethod
    def new(cls, name: str) -> KeyFile:
        """A fresh random key for ``name`` (not written anywhere yet)."""
        return cls(normalize_name(name), new_secret())

    @property
    def key_digest(self) -> Digest:
        """H(secret): what the user's leaf commits to."""
        return key_digest(self.secret)

    def to_json(self) -> str:
        """The key file's text."""
        document = {
            "version": KEY_FILE_VERSION,
            "name": self.name,
            "secret": [f"{x:0{_HEX_DIGITS}x}" for x in self.secret],
        }
        return json.dumps(document, indent=2) + "\n"

    @staticmethod
    def from_json(text: str, where: str) -> KeyFile:
        """Parse :meth:`to_json` output; WalletError naming ``where`` on a wrong version or shape."""
        try:
            document: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WalletError(f"{where} is not valid JSON: {exc.msg}") from exc
        if not isinstance(document, dict) or set(document) != {"version", "name", "secret"}:
            raise WalletError(f"{where} is not a key file (expected the keys 'version', 'name', 'secret')")
        if document["version"] != KEY_FILE_VERSION:
            raise WalletError(
                f"{where} has key file version {document['version']!r}; this program reads version {KEY_FILE_VERSION}"
            )
        words = document["secret"]
        if not isinstance(words, list) or len(words) != SECRET_SIZE or not all(_is_hex_element(w) for w in words):
            raise WalletError(f"{where}: the secret must be {SECRET_SIZE} field elements in hexadecimal")
        secret = tuple(int(w, 16) for w in words)
        return KeyFile(normalize_name(document["name"], f"{where}: name"), secret)


def _is_hex_element(word: object) -> bool:
    if not isinstance(word, str) or len(word) != _HEX_DIGITS:
        return False
    try:
        return int(word, 16) < P
    except ValueError:
        return False


def key_path(wallet_dir: Path | str) -> Path:
    """DIR/key.json."""
    return Path(wallet_dir) / KEY_FILENAME


def create_key_file(wallet_dir: Path | str, name: str) -> KeyFile:
    """A fresh random key for ``name`` written to ``wallet_dir`` (see :func:`write_key_file`)."""
    key = KeyFile.new(name)
    write_key_file(wallet_dir, key)
    return key


def write_key_file(wallet_dir: Path | str, key: KeyFile) -> None:
    """Write ``key`` to ``wallet_dir`` (created 0700 if absent) with mode 0600; WalletError if a key exists."""
    directory = Path(wallet_dir)
    try:
        directory.mkdir(mode=WALLET_DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise WalletError(f"cannot create the wallet directory {directory}: {exc.strerror}") from exc
    path = key_path(directory)
    try:
        create_owner_only_file(path, key.to_json())
    except FileExistsError as exc:
        raise WalletError(f"{path} already exists: a wallet never overwrites a key") from exc
    except OSError as exc:
        raise WalletError(f"cannot create {path}: {exc.strerror}") from exc


def read_key_file(wallet_dir: Path | str) -> KeyFile:
    """The key in ``wallet_dir``; WalletError when absent, readable by others, of another version or malformed."""
    path = key_path(wallet_dir)
    try:
        text = read_owner_only_text(path, "a key file", WalletError)
    except FileNotFoundError as exc:
        raise WalletError(
            f"no wallet in {wallet_dir} (create one with `rollup wallet new NAME --wallet-dir DIR`)"
        ) from exc
    return KeyFile.from_json(text, str(path))
