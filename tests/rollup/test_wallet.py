"""Wallet key files: random secrets, owner-only permissions, versioned format; delegated-proving wallets."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from rollup.chain_dir import ChainDirectory, default_wallets_root
from rollup.errors import RollupError
from rollup.keys import KeyRing, new_secret
from rollup.params import SECRET_SIZE
from rollup.wallet import KEY_FILE_VERSION, KeyFile, WalletError, create_key_file, key_path, read_key_file
from verifier.field import P


def test_a_new_key_file_is_owner_only_and_reads_back(tmp_path: Path) -> None:
    key = create_key_file(tmp_path / "sam", "Sam")
    assert stat.S_IMODE(os.stat(key_path(tmp_path / "sam")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "sam").st_mode) == 0o700
    assert read_key_file(tmp_path / "sam") == key
    assert key.name == "Sam" and len(key.secret) == SECRET_SIZE and all(0 <= x < P for x in key.secret)


def test_secrets_are_random_never_derived_from_the_name(tmp_path: Path) -> None:
    first = create_key_file(tmp_path / "a", "Sam")
    second = create_key_file(tmp_path / "b", "Sam")
    assert first.secret != second.secret
    assert new_secret() != new_secret()
    ring: KeyRing[str] = KeyRing()
    assert ring.secret("Sam") == ring.secret("Sam") != KeyRing[str]().secret("Sam")


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    key = create_key_file(tmp_path, "Sam")
    with pytest.raises(WalletError, match="never overwrites"):
        create_key_file(tmp_path, "Sam")
    assert read_key_file(tmp_path) == key


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_a_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    create_key_file(tmp_path, "Sam")
    os.chmod(key_path(tmp_path), mode)
    with pytest.raises(WalletError, match=f"permissions {mode:04o}"):
        read_key_file(tmp_path)


def _write_owner_only(directory: Path, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = key_path(directory)
    path.write_text(text)
    os.chmod(path, 0o600)


def test_a_key_file_of_another_version_is_refused(tmp_path: Path) -> None:
    document = json.loads(KeyFile.new("Sam").to_json())
    document["version"] = KEY_FILE_VERSION + 1
    _write_owner_only(tmp_path, json.dumps(document))
    with pytest.raises(WalletError, match=f"version {KEY_FILE_VERSION + 1}"):
        read_key_file(tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"version": KEY_FILE_VERSION, "name": "Sam"}),
        json.dumps({"version": KEY_FILE_VERSION, "name": "Sam", "secret": ["00" * 8] * (SECRET_SIZE - 1)}),
        json.dumps({"version": KEY_FILE_VERSION, "name": "Sam", "secret": ["ff" * 8] * SECRET_SIZE}),  # >= p
        json.dumps({"version": KEY_FILE_VERSION, "name": "Sam", "secret": ["zz" * 8] * SECRET_SIZE}),
        json.dumps({"version": KEY_FILE_VERSION, "name": "Sam", "secret": [1, 2, 3, 4]}),
    ],
)
def test_a_malformed_key_file_is_refused(tmp_path: Path, text: str) -> None:
    _write_owner_only(tmp_path, text)
    with pytest.raises(RollupError):
        read_key_file(tmp_path)


def test_a_missing_wallet_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(WalletError, match="rollup wallet new"):
        read_key_file(tmp_path / "nobody")


def test_delegated_proving_keeps_throw_away_wallets_outside_the_chain_dir(tmp_path: Path) -> None:
    chain_dir = tmp_path / "chain"
    with ChainDirectory.open(chain_dir, create=True) as chain:
        chain.add_user("Sam", 10)
        assert chain.wallets == default_wallets_root(chain_dir) == tmp_path / "chain-wallets"
        assert chain.new_wallets == [tmp_path / "chain-wallets" / "Sam"]
        secret = read_key_file(chain.wallet_dir("Sam")).secret
        assert chain.secret_of("Sam") == secret
        chain.save_draft()
        chain.build_block()
    assert not any(path.is_relative_to(chain_dir) for path in [chain.wallets, *chain.new_wallets])


def test_a_refused_registration_creates_no_wallet(tmp_path: Path) -> None:
    with ChainDirectory.open(tmp_path / "chain", create=True) as chain:
        with pytest.raises(RollupError):
            chain.add_user("Sam", -1)
        assert not chain.wallet_dir("Sam").exists() and chain.new_wallets == []


def test_delegated_proving_uses_an_existing_wallet(tmp_path: Path) -> None:
    key = create_key_file(tmp_path / "chain-wallets" / "Sam", "Sam")
    with ChainDirectory.open(tmp_path / "chain", create=True) as chain:
        user = chain.add_user("Sam", 10)
        chain.build_block()
        assert chain.state.user(user).key_digest == key.key_digest
        assert chain.new_wallets == []


def test_a_wallet_holding_another_users_key_is_refused(tmp_path: Path) -> None:
    create_key_file(tmp_path / "chain-wallets" / "Sam", "Kim")
    with ChainDirectory.open(tmp_path / "chain", create=True) as chain, pytest.raises(WalletError, match="'Kim'"):
        chain.add_user("Sam", 10)


def test_a_wallet_proves_only_against_the_root_it_verified(tmp_path: Path) -> None:
    from rollup.errors import StaleRootError
    from rollup.state import ChainState
    from rollup.wallet_proving import require_verified, verified_root

    genesis = ChainState().root
    assert verified_root(tmp_path / "block.vk", tmp_path / "no proofs yet", genesis) == genesis
    require_verified(ChainState(), genesis)
    with pytest.raises(StaleRootError, match="not the latest root verified"):
        require_verified(ChainState(), (1, 2, 3, 4))
    (tmp_path / "proofs").mkdir()
    (tmp_path / "proofs" / "block-0000.proof").write_bytes(b"not a proof")
    (tmp_path / "block.vk").write_bytes(b"not a key")
    with pytest.raises(ValueError):
        verified_root(tmp_path / "block.vk", tmp_path / "proofs", genesis)
