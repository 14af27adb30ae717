"""The sequencer key file: created 0600, never overwritten, refused when others may read it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from rollup.node.keys import KEY_FILE, KeyFileError, create_key_file, load_key_file, open_or_create_key


def test_created_owner_only_and_reloaded(tmp_path: Path) -> None:
    key = open_or_create_key(tmp_path)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key.public_key) == 48
    assert open_or_create_key(tmp_path) == key


def test_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    create_key_file(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        create_key_file(path)
    assert path.read_bytes() == before


def test_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="0600"):
        load_key_file(path)


@pytest.mark.parametrize("content", ["", "{}", '{"version": 1, "secret_key": "zz"}', '{"version": 2}'])
def test_malformed_key_files_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / KEY_FILE
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a sequencer key file"):
        load_key_file(path)
