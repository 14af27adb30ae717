"""Parsers of command-line values: argparse ``type=`` functions and amounts checked like scenario amounts."""

from __future__ import annotations

import argparse

from rollup.cli.ui import CliError
from rollup.scenario import validate_amount


def block_number(text: str) -> int:
    """A block number: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"block number must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"block number must be >= 0, got {value}")
    return value


def positive(text: str) -> int:
    """An integer >= 1 (e.g. a number of workers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def amount(text: str, what: str) -> int:
    """An amount or balance named ``what``: an integer in the range every session accepts (CliError if not)."""
    try:
        value = int(text)
    except ValueError:
        raise CliError(f"{what} must be an integer, got {text!r}") from None
    return validate_amount(value, what)
