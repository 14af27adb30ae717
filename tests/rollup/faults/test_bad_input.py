"""Bad and hostile input through the real commands: numbers, names, scenario and draft files, key files.

Every case asserts one ``error:`` line naming the problem, exit status 2, no
traceback, and that the chain's finalized rows (and its draft) are unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollup.chain_integrity import PENDING_FILE
from tests.fault_support import TALLY, Captured, assert_clear_error, chain_summary, finalized_digest, run_cli
from tests.rollup.faults.conftest import TEMPLATE_LATEST_BLOCK

ARABIC_FIVE = "\u0665"
FULLWIDTH_FIVE = "\uff15"
FULLWIDTH_SAM = "\uff33\uff41\uff4d"
CYRILLIC_SAM = "\u0405\u0430m"
BAD_NUMBERS = ["1_0", "+5", " 5", "5 ", ARABIC_FIVE, FULLWIDTH_FIVE, "1e3", "0x10", "-3", "1" * 5000, ""]


def assert_refused(capsys: Captured, chain: Path, argv: tuple[str, ...], *needles: str) -> None:
    """The command is refused with one clear line, and neither finalized rows nor the draft change."""
    digest = finalized_digest(chain, TEMPLATE_LATEST_BLOCK)
    draft = (chain / PENDING_FILE).read_bytes() if (chain / PENDING_FILE).exists() else None
    code, _, err = run_cli(capsys, chain, *argv)
    assert_clear_error(code, err, *needles)
    assert finalized_digest(chain, TEMPLATE_LATEST_BLOCK) == digest
    assert ((chain / PENDING_FILE).read_bytes() if (chain / PENDING_FILE).exists() else None) == draft
    TALLY.record(clear_error=True)


@pytest.mark.parametrize("text", BAD_NUMBERS)
def test_amounts_are_ascii_digits_only(capsys: Captured, chain: Path, text: str) -> None:
    assert_refused(capsys, chain, ("send", "Sam", "Jack", text), "amount")
    assert_refused(capsys, chain, ("user", "add", "Kate", "--balance", text), "balance")


@pytest.mark.parametrize("text", BAD_NUMBERS)
def test_block_numbers_and_worker_counts_are_ascii_digits_only(capsys: Captured, chain: Path, text: str) -> None:
    assert_refused(capsys, chain, ("block", "show", text), "block number")
    assert_refused(capsys, chain, ("block", "prove", "1", "--workers", text), "--workers")


def test_a_usage_error_is_one_line_too(capsys: Captured, chain: Path) -> None:
    assert_refused(capsys, chain, ("block", "frobnicate"), "invalid choice", "--help")
    assert_refused(capsys, chain, ("send", "Sam"), "required", "--help")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (CYRILLIC_SAM, "may hold only ASCII letters"),
        ("SAM", "looks like the existing user 'Sam'"),
        ("sam", "looks like the existing user 'Sam'"),
        ("Jack", "already exists"),
        ("S am", "may hold only"),
        (".x", "may hold only"),
        ("x" * 65, "1-64 characters"),
    ],
)
def test_names_that_look_like_others_are_refused(capsys: Captured, chain: Path, name: str, message: str) -> None:
    assert_refused(capsys, chain, ("user", "add", name, "--balance", "5"), message)


def test_a_typed_name_is_normalised_to_the_registered_one(capsys: Captured, chain: Path) -> None:
    code, out, err = run_cli(capsys, chain, "send", FULLWIDTH_SAM, "Jack", "1")
    assert code == 0, err
    assert "Sam sends 1 to Jack" in out


def scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"users": {"A": 5, "A": 7}, "blocks": []}', "'A' appears twice"),
        ('{"users": {"A": 5}, "blocks": [], "blocks": [[]]}', "'blocks' appears twice"),
        ('{"users": {"A": ' + "9" * 5000 + '}, "blocks": []}', "5000 digits"),
        ('{"users": {"A": 5}, "blocks": ' + "[" * 100_000 + "]" * 100_000 + "}", "nest more than 8 deep"),
        ('{"users": {"A": NaN}, "blocks": []}', "NaN is not a number"),
        ('{"users": {"A": 5.5}, "blocks": []}', "users.A must be an integer"),
        ('{"users": {"A": 5, "a": 1}, "blocks": []}', "looks like it"),
        ('{"users": {"' + CYRILLIC_SAM + '": 5}, "blocks": []}', "may hold only"),
        ('{"users": {"A": 5}, "blocks": [[{"send": {"from": "A", "to": "A", "amount": 1, "x": 2}}]]}', "unknown keys"),
        ("[" * 10, "not valid JSON"),
    ],
)
def test_hostile_scenario_files_are_refused(capsys: Captured, tmp_path: Path, text: str, message: str) -> None:
    chain = tmp_path / "chain"
    code, _, err = run_cli(capsys, chain, "run", str(scenario(tmp_path, text)), "--no-prove")
    assert_clear_error(code, err, message)
    assert not (chain / "rollup.sqlite").exists()
    TALLY.record(clear_error=True)


def test_oversized_binary_and_special_scenario_files_are_refused(capsys: Captured, tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(1 << 32)  # a sparse 4 GiB file: refused by its size, never read
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00{")
    for path, message in (
        (huge, "larger than"),
        (Path("/dev/zero"), "larger than"),
        (binary, "not UTF-8"),
        (tmp_path, "cannot read scenario file"),
        (tmp_path / "absent.json", "does not exist"),
    ):
        code, _, err = run_cli(capsys, tmp_path / "chain", "run", str(path), "--no-prove")
        assert_clear_error(code, err, str(path), message)
        TALLY.record(clear_error=True)


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        ('{"version": 1, "block": 2, "block": 3, "read_root": "", "sessions": {}}', "'block' appears twice"),
        ("[" * 100_000, "nest more than"),
        ("\x00garbage", "not valid JSON"),
        ('{"version": 1}', "unusable"),
    ],
)
def test_a_damaged_draft_is_named(capsys: Captured, chain: Path, draft: str, message: str) -> None:
    (chain / PENDING_FILE).write_text(draft)
    for argv in (("balances",), ("send", "Sam", "Jack", "1"), ("block", "build")):
        assert_refused(capsys, chain, argv, str(chain / PENDING_FILE), message)


def test_hostile_key_files_are_refused_by_export(capsys: Captured, chain: Path, tmp_path: Path) -> None:
    """``block export`` reads DIR/block.vk with a cap: /dev/zero, garbage or an empty key is one clear line."""
    from rollup.storage import Storage

    with Storage.open(chain / "rollup.sqlite") as storage:
        storage.write_proof(1, "block", b"a stored proof")
    out = tmp_path / "out.proof"
    for make_key in (
        lambda key: key.symlink_to("/dev/zero"),
        lambda key: key.write_bytes(b"garbage"),
        lambda key: key.write_bytes(b""),
        lambda key: key.mkdir(),
    ):
        key = chain / "block.vk"
        make_key(key)
        assert_refused(capsys, chain, ("block", "export", "1", "--out", str(out)), "block 1")
        assert not out.exists()
        if key.is_dir() and not key.is_symlink():
            key.rmdir()
        else:
            key.unlink()


def test_unexpected_errors_are_one_line_with_their_own_status(
    capsys: Captured, chain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of memory and too deep a recursion are exit 2; a bug is exit 3; --debug adds the traceback."""
    from rollup.chain_dir import ChainDirectory

    for error, status, message in (
        (MemoryError(), 2, "out of memory"),
        (RecursionError("maximum recursion depth exceeded"), 2, "nested too deeply"),
        (ZeroDivisionError("division by zero"), 3, "internal error (ZeroDivisionError: division by zero)"),
    ):

        def fail(self: ChainDirectory, *args: object, error: BaseException = error) -> None:
            raise error

        monkeypatch.setattr(ChainDirectory, "balances", fail)
        code, _, err = run_cli(capsys, chain, "balances")
        assert code == status and "Traceback" not in err
        assert [line for line in err.splitlines() if line.startswith("error:")] == [err.strip()]
        assert message in err
        code, _, err = run_cli(capsys, chain, "--debug", "balances")
        assert code == status and "Traceback" in err and message in err
        TALLY.record(clear_error=True)
    monkeypatch.undo()
    assert chain_summary(capsys, chain)["balances"] == {"Sam": 90, "Jack": 50}


def test_json_output_stays_clean_on_error(capsys: Captured, chain: Path) -> None:
    (chain / PENDING_FILE).write_text("{")
    code, out, err = run_cli(capsys, chain, "balances", "--json")
    assert_clear_error(code, err, "not valid JSON")
    assert out == ""
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    TALLY.record(clear_error=True)
