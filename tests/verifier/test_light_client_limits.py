"""rollup-verify on hostile input: bounded reads, refused roots, one error line and exit 2 for bad input.

Real files and a real process: ``/dev/zero``, a 4 GiB sparse file, truncated and
random keys; exit 1 is kept for a proof that does not verify.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.verifier.test_light_client import ROOT_A, ROOT_B, StatementCircuit, block
from verifier import light_client
from verifier.light_client import MAX_KEY_BYTES, digest_hex
from verifier.serialization import proof_size, proof_to_bytes, verifier_key_to_bytes


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A key and a valid proof of block 1 (ROOT_A -> ROOT_B) under it."""
    circuit = StatementCircuit()
    directory = tmp_path_factory.mktemp("light")
    vk, proof = directory / "block.vk", directory / "block-0001.proof"
    vk.write_bytes(verifier_key_to_bytes(circuit.data.verifier_key))
    proof.write_bytes(proof_to_bytes(block(circuit, 1, ROOT_A, ROOT_B)))
    return vk, proof


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = light_client.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error(status: int, err: str, *needles: str) -> None:
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], err


def test_proof_size_is_exact(files: tuple[Path, Path]) -> None:
    vk, proof = files
    from verifier.serialization import verifier_key_from_bytes

    assert proof_size(verifier_key_from_bytes(vk.read_bytes()).common) == len(proof.read_bytes())


def test_valid_and_invalid_keep_exit_0_and_1(capsys: pytest.CaptureFixture[str], files: tuple[Path, Path]) -> None:
    vk, proof = files
    status, out, _ = run(capsys, "--vk", str(vk), "--proof", str(proof), "--prev-root", digest_hex(ROOT_A))
    assert status == 0 and out.startswith("valid")
    status, out, _ = run(capsys, "--vk", str(vk), "--proof", str(proof), "--prev-root", digest_hex(ROOT_B))
    assert status == 1 and out.startswith("invalid")


@pytest.mark.parametrize("flag", ["--proof", "--vk"])
def test_dev_zero_is_refused_after_a_bounded_read(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, Path], flag: str
) -> None:
    vk, proof = files
    arguments = {"--vk": str(vk), "--proof": str(proof), flag: "/dev/zero"}
    status, _, err = run(capsys, *(x for pair in arguments.items() for x in pair), "--untrusted-prev-root")
    assert_one_error(status, err, "/dev/zero", "larger than")


def test_huge_sparse_file_is_refused_by_its_size_in_a_real_process(files: tuple[Path, Path], tmp_path: Path) -> None:
    vk, _ = files
    huge = tmp_path / "huge.proof"
    with open(huge, "wb") as handle:
        handle.truncate(4 << 30)  # 4 GiB, sparse: nothing is written
    result = subprocess.run(
        [sys.executable, "-m", "verifier.light_client", "--vk", str(vk), "--proof", str(huge), "--untrusted-prev-root"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr
    assert_one_error(result.returncode, result.stderr, str(huge), "larger than")


def test_one_trailing_byte_over_the_exact_size_is_refused(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, Path], tmp_path: Path
) -> None:
    vk, proof = files
    longer = tmp_path / "longer.proof"
    longer.write_bytes(proof.read_bytes() + b"\0")
    status, _, err = run(capsys, "--vk", str(vk), "--proof", str(longer), "--untrusted-prev-root")
    assert_one_error(status, err, "larger than")


@pytest.mark.parametrize(
    "root",
    ["", " ", "0x", "zz" * 32, "0" * 63, "0" * 65, "\u0660" * 64, "f" * 64, "0" * 16 * 3 + "ffffffff00000001"],
)
def test_empty_or_malformed_prev_root_is_refused(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, Path], root: str
) -> None:
    vk, proof = files
    status, out, err = run(capsys, "--vk", str(vk), "--proof", str(proof), "--prev-root", root)
    assert "valid" not in out
    assert_one_error(status, err, "root")


def test_empty_genesis_root_is_refused(capsys: pytest.CaptureFixture[str], files: tuple[Path, Path]) -> None:
    vk, proof = files
    status, _, err = run(capsys, "--vk", str(vk), "--chain", str(proof.parent), "--genesis-root", "")
    assert_one_error(status, err, "root")


def test_oversized_file_in_a_chain_is_refused(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, Path], tmp_path: Path
) -> None:
    vk, proof = files
    (tmp_path / "block-0001.proof").write_bytes(proof.read_bytes())
    with open(tmp_path / "block-0002.proof", "wb") as handle:
        handle.truncate(1 << 30)
    status, _, err = run(capsys, "--vk", str(vk), "--chain", str(tmp_path), "--genesis-root", digest_hex(ROOT_A))
    assert_one_error(status, err, "block-0002.proof", "larger than")


def hostile_keys(key: bytes) -> list[bytes]:
    rng = random.Random(12)
    return [
        b"",
        key[:3],
        key[: len(key) // 2],
        key + b"\0",
        b"ZKPF" + key[4:],
        bytes(rng.randrange(256) for _ in range(len(key))),
        key[:6] + b"\xff" * (len(key) - 6),
        b"\0" * (MAX_KEY_BYTES + 1),
    ]


def test_hostile_key_files_give_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, Path], tmp_path: Path
) -> None:
    vk, proof = files
    for index, data in enumerate(hostile_keys(vk.read_bytes())):
        bad = tmp_path / f"bad-{index}.vk"
        bad.write_bytes(data)
        status, out, err = run(capsys, "--vk", str(bad), "--proof", str(proof), "--untrusted-prev-root")
        assert out == "", f"key {index}"
        assert_one_error(status, err, str(bad) if index == 7 else "")


def test_unreadable_inputs_name_the_file(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, Path], tmp_path: Path
) -> None:
    vk, _ = files
    for missing in (tmp_path / "absent.proof", tmp_path):
        status, _, err = run(capsys, "--vk", str(vk), "--proof", str(missing), "--untrusted-prev-root")
        assert_one_error(status, err, str(missing))
