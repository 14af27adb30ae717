"""The block explorer in a real headless browser (Debian's chromium): a screenshot and the rendered DOM.

Skipped where chromium is not installed (CI installs it: .ci/run).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_support import NodeProcess, register, wait_until

from rollup.node.client import NodeClient
from rollup.node.explorer import aggregation_tree

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_TIMEOUT_SECONDS = 180
MIN_SCREENSHOT_BYTES = 10_000
"""A blank 1280x900 PNG compresses to a few kB; a page with tables and text is well above this."""


def _chromium(url: str, profile: Path, *mode: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ]
    return subprocess.run([CHROMIUM, *flags, *mode, url], capture_output=True, timeout=BROWSER_TIMEOUT_SECONDS)


@pytest.fixture(scope="module")
def explorer_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("explorer") / "chain"
    with NodeProcess(directory, "--no-prove", "--block-time", "3600", "--block-sessions", "3") as node:
        with NodeClient(node.url) as client:
            genesis = client.head()["root"]
            for user_id, name in ((1, "Sam"), (2, "Jack"), (3, "Kate")):
                client.submit_delegated(register(user_id, name, genesis), verify=False)
            wait_until(lambda: client.head()["finalized"] == 1, what="block 1")
        yield node.url


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_explorer_renders_in_a_browser(explorer_url: str, tmp_path: Path) -> None:
    screenshot = tmp_path / "explorer.png"
    _chromium(f"{explorer_url}/explorer", tmp_path / "profile-shot", f"--screenshot={screenshot}")
    assert screenshot.is_file()
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > MIN_SCREENSHOT_BYTES
    dom = _chromium(f"{explorer_url}/explorer", tmp_path / "profile-dom", "--dump-dom").stdout.decode()
    assert "zk-rollup explorer" in dom
    assert "finalized block <b>1</b>" in dom and "/explorer/blocks/1" in dom and "no block proven yet" in dom


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_block_page_renders_in_a_browser(explorer_url: str, tmp_path: Path) -> None:
    dom = _chromium(f"{explorer_url}/explorer/blocks/1", tmp_path / "profile", "--dump-dom").stdout.decode()
    assert "block 1" in dom and "sessions (3)" in dom
    assert "no proof of this block is stored yet" in dom and "not proven yet" in dom


def test_aggregation_tree_is_read_off_the_node_keys() -> None:
    # the tree of users 1-4 (as `rollup demo` prints it): agg/1/2 joins users 2 and 3
    keys = ["block", "agg/3/0", "agg/2/0", "session/1", "agg/1/2", "session/2", "session/3", "session/4"]
    tree = aggregation_tree(keys)
    assert tree is not None and tree.key == "block"

    def shape(node: object) -> object:
        children = sorted(node.children, key=lambda c: c.low)  # type: ignore[attr-defined]
        return (node.key, [shape(c) for c in children])  # type: ignore[attr-defined]

    assert shape(tree) == (
        "block",
        [
            (
                "agg/3/0",
                [
                    ("agg/2/0", [("session/1", []), ("agg/1/2", [("session/2", []), ("session/3", [])])]),
                    ("session/4", []),
                ],
            )
        ],
    )
    assert aggregation_tree([]) is None
