"""The block explorer: server-rendered HTML pages (no script), served by the node.

``/explorer`` lists the head (finalized, proven and chain-proven heights)
and every block (sessions, roots, signed header, whether its block proof
verifies as a light client checks it, block proof size, proving time); ``/explorer/blocks/N`` shows one
block: its statement, its sessions' public data (and who proved each session:
its user, or the node by delegated proving) and its aggregation tree with
each proof's size.

The tree is read off the stored proofs' node keys, not re-planned: node
``agg/L/P`` covers user ids ``[P, P + 2^L)`` (P is the
leaf index where its subtree starts), ``session/U`` covers
``U``, ``block`` covers everything, and each node's parent is the smallest
stored node whose range strictly contains its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from rollup.block_plan import BLOCK_NODE
from rollup.node.service import NodeService
from verifier.chain import GENESIS_HEIGHT

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.7em; text-align: left; }
th { background: #eef; }
code { font-size: 0.9em; }
.ok { color: #070; font-weight: bold; }
.wait { color: #a60; font-weight: bold; }
.bad { color: #b00; font-weight: bold; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.4em; border-left: 1px dashed #99a; }
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _short(hex_digest: str) -> str:
    return f"<code title='{hex_digest}'>{hex_digest[:12]}…</code>"


def _status(verification: str) -> str:
    style = "ok" if verification == "verified" else "bad" if verification.startswith("INVALID") else "wait"
    return f"<span class='{style}'>{escape(verification)}</span>"


def _proven_through(number: int) -> str:
    return "no block proven yet" if number <= GENESIS_HEIGHT else f"proven through block <b>{number}</b>"


def _chain_proven(height: int) -> str:
    if height <= GENESIS_HEIGHT:
        return "no chain proof yet"
    return f"chain proof (the whole chain from genesis in one proof) through block <b>{height}</b>"


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} kB"


def index_page(service: NodeService, vk_file: Path) -> str:
    """The head and the table of blocks, newest first."""
    head = service.head()
    rows = []
    for number in range(head["finalized"], GENESIS_HEIGHT, -1):
        block = service.block(number)
        proof_size = block["proof_sizes"].get(BLOCK_NODE)
        seconds = block["proving_seconds"]
        rows.append(
            "<tr>"
            f"<td><a href='/explorer/blocks/{number}'>{number}</a></td>"
            f"<td>{len(block['public_data'])}</td>"
            f"<td>{_short(block['new_root'])}</td>"
            f"<td>{'signed' if block['header_signature'] else 'unsigned'}</td>"
            f"<td>{_status(service.verification(number, vk_file))}</td>"
            f"<td>{_kb(proof_size) if proof_size else '-'}</td>"
            f"<td>{f'{seconds:.1f} s' if seconds is not None else '-'}</td>"
            "</tr>"
        )
    body = (
        "<h1>zk-rollup explorer</h1>"
        f"<p>finalized block <b>{head['finalized']}</b>, {_proven_through(head['proven'])}, "
        f"{_chain_proven(head['chain_proven'])}, "
        f"{head['pending_sessions']} sessions waiting for block {head['next_block']}.</p>"
        f"<p>current root {_short(head['root'])}; sequencer key {_short(head['sequencer_public_key'])}</p>"
        "<table><tr><th>block</th><th>sessions</th><th>new root</th><th>header</th><th>block proof check</th>"
        "<th>block proof</th><th>proving time</th></tr>" + "".join(rows) + "</table>"
    )
    return _page("zk-rollup explorer", body)


@dataclass
class TreeNode:
    key: str
    low: int
    high: int
    children: list[TreeNode] = field(default_factory=list)


def _range(key: str) -> tuple[int, int]:
    """The user ids a node key covers, [low, high)."""
    parts = key.split("/")
    if parts[0] == "session":
        user = int(parts[1])
        return user, user + 1
    if parts[0] == "agg":
        level, position = int(parts[1]), int(parts[2])
        return position, position + (1 << level)
    return 0, 1 << 62


def aggregation_tree(keys: list[str]) -> TreeNode | None:
    """The tree of stored node keys (None when no proof is stored)."""
    nodes = sorted((TreeNode(k, *_range(k)) for k in keys), key=lambda n: (n.low - n.high, n.low))
    for i, node in enumerate(nodes):
        parents = [p for p in nodes[:i] if p.low <= node.low and node.high <= p.high]
        if parents:
            min(parents, key=lambda p: p.high - p.low).children.append(node)
    return nodes[0] if nodes else None


def _render_tree(node: TreeNode, sizes: dict[str, int]) -> str:
    children = "".join(_render_tree(c, sizes) for c in sorted(node.children, key=lambda c: c.low))
    inner = f"<ul class='tree'>{children}</ul>" if children else ""
    return f"<li><code>{escape(node.key)}</code> [{_kb(sizes[node.key])}]{inner}</li>"


def block_page(service: NodeService, number: int, vk_file: Path) -> str:
    """One block: statement, signed header, public data and aggregation tree."""
    block = service.block(number)
    sizes: dict[str, int] = block["proof_sizes"]
    tree = aggregation_tree(list(sizes))
    entries = "".join(
        f"<tr><td>{e['user_id']}</td><td>{e['deposit']}</td><td>{_short(e['new_leaf'])}</td>"
        f"<td>{escape(e['proven_by'])}</td></tr>"
        for e in block["public_data"]
    )
    seconds = block["proving_seconds"]
    body = (
        f"<p><a href='/explorer'>all blocks</a></p><h1>block {number}</h1>"
        f"<p>block proof: {_status(service.verification(number, vk_file))}"
        + (f", proven in {seconds:.1f} s" if seconds is not None else "")
        + "</p><table>"
        f"<tr><th>previous root</th><td>{_short(block['prev_root'])}</td></tr>"
        f"<tr><th>new root</th><td>{_short(block['new_root'])}</td></tr>"
        f"<tr><th>data root</th><td>{_short(block['data_root'])}</td></tr>"
        f"<tr><th>header signature</th><td>{_short(block['header_signature'] or 'none')}</td></tr></table>"
        f"<h2>sessions ({len(block['public_data'])})</h2>"
        f"<table><tr><th>user</th><th>deposit</th><th>new leaf</th><th>session proven by</th></tr>{entries}</table>"
        "<h2>aggregation tree</h2>"
        + (
            f"<ul class='tree'>{_render_tree(tree, sizes)}</ul>"
            if tree is not None
            else "<p>no proof of this block is stored yet</p>"
        )
    )
    return _page(f"block {number}", body)
