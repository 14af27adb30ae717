"""The command ``vk``: write the block verifier key of the circuits built in this process."""

from __future__ import annotations

import argparse
from pathlib import Path

from rollup.cli.proving import build_circuits
from rollup.cli.ui import Ui, kb_text, write_output


def cmd_vk(args: argparse.Namespace, ui: Ui) -> int:
    circuits = build_circuits(ui)
    out = Path(args.out)
    write_output(out, circuits.vk_bytes, "the verifier key")
    ui.note(
        f"wrote {out} ({kb_text(len(circuits.vk_bytes))}): the block verifier key (built in {circuits.seconds:.1f} s)"
    )
    return 0
