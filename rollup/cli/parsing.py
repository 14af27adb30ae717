"""Parsers of command-line values: argparse ``type=`` functions and amounts checked like scenario amounts.

Every number is read by :func:`rollup.strict_input.parse_decimal`: ASCII digits
only, of bounded length (``int()`` would take ``1_0``, ``+5``, `` 5`` and
non-ASCII digits).
"""

from __future__ import annotations

import argparse

from rollup.errors import BadInputError
from rollup.scenario import validate_amount
from rollup.strict_input import parse_decimal


def block_number(text: str) -> int:
    """A block number: an integer >= 0."""
    try:
        return parse_decimal(text, "block number")
    except BadInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive(text: str) -> int:
    """An integer >= 1 (e.g. a number of workers)."""
    try:
        value = parse_decimal(text, "the value")
    except BadInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def amount(text: str, what: str) -> int:
    """An amount or balance named ``what``: an integer in the range every session accepts (BadInputError if not)."""
    return validate_amount(parse_decimal(text, what), what)
