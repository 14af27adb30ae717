"""Strict parsing of what an operator types or feeds in: numbers, user names and JSON files.

Every function here refuses, with one :class:`BadInputError` naming the value
and the rule, anything that Python's lenient parsers would quietly accept:

* **Numbers** (:func:`parse_decimal`): only the ASCII digits 0-9, at most
  ``MAX_NUMBER_DIGITS`` of them. ``int()`` would also take ``1_0``, ``+5``,
  `` 5``, Arabic-Indic or full-width digits, and a 5,000-digit string ends in
  Python's own "exceeds the limit" error.
* **User names** (:func:`normalize_name`): normalised to NFKC first (so a
  full-width ``Ｓａｍ`` *is* ``Sam``), then restricted to ``NAME_ALPHABET``
  (ASCII letters, digits, ``_``, ``.``, ``-``; not starting with ``-`` or ``.``),
  so no Cyrillic or Greek look-alike of a name can exist. Within that
  alphabet, names that differ only by case or by the look-alike pairs
  ``0``/``o`` and ``1``/``l``/``i`` share a :func:`confusable_key`; a chain
  refuses to register a name whose key is already taken.
* **JSON files** (:func:`load_json_file`): at most ``max_bytes`` read (the size
  is checked before reading), valid UTF-8, no duplicate key in any object
  (Python keeps the last one silently), no ``NaN``/``Infinity``, integers of at
  most ``MAX_NUMBER_DIGITS`` digits, and nesting at most ``max_depth`` deep.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rollup.errors import BadInputError
from rollup.files import describe_os_error

MAX_NUMBER_DIGITS = 20
"""Digits of the longest number accepted anywhere (amounts are below 2^48, 15 digits; ids and counts fewer)."""
MAX_NAME_LENGTH = 64
NAME_ALPHABET = "ASCII letters, digits, '_', '.' and '-'"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_LOOK_ALIKES = str.maketrans({"0": "o", "1": "l", "i": "l"})


def parse_decimal(text: str, what: str, *, max_digits: int = MAX_NUMBER_DIGITS) -> int:
    """The non-negative integer written as ``text``: ASCII digits only, at most ``max_digits`` of them."""
    if len(text) > max_digits and _DIGITS.fullmatch(text):
        raise BadInputError(f"{what} has {len(text)} digits; at most {max_digits} are accepted")
    if not _DIGITS.fullmatch(text):
        shown = text if len(text) <= 40 else f"{text[:40]}..."
        raise BadInputError(f"{what} must be a whole number written with the digits 0-9 only, got {shown!r}")
    return int(text)


def normalize_name(name: object, where: str = "user name") -> str:
    """A user name in its one canonical form (NFKC), within ``NAME_ALPHABET``; BadInputError otherwise."""
    if not isinstance(name, str):
        raise BadInputError(f"{where} must be a string, got {name!r}")
    normal = unicodedata.normalize("NFKC", name) if len(name) <= MAX_NAME_LENGTH else name
    if not 1 <= len(normal) <= MAX_NAME_LENGTH:
        raise BadInputError(f"{where} {name[:MAX_NAME_LENGTH]!r} must be 1-{MAX_NAME_LENGTH} characters long")
    if not _NAME.fullmatch(normal):
        raise BadInputError(
            f"{where} {name!r} may hold only {NAME_ALPHABET}, and must not start with '.' or '-' "
            "(so that no look-alike of another name can be registered)"
        )
    return normal


def confusable_key(name: str) -> str:
    """What two names that a reader could mistake for each other have in common (case and 0/o, 1/l/i)."""
    return name.lower().translate(_LOOK_ALIKES)


def find_look_alike(name: str, existing: Iterable[str]) -> str | None:
    """An existing name other than ``name`` that looks like it (same :func:`confusable_key`), if any."""
    key = confusable_key(name)
    return next((other for other in existing if other != name and confusable_key(other) == key), None)


# ----------------------------------------------------------------------------- JSON


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise BadInputError(f"the key {key!r} appears twice in one object")
        document[key] = value
    return document


def _integer(text: str) -> int:
    digits = text.removeprefix("-")
    if len(digits) > MAX_NUMBER_DIGITS:
        raise BadInputError(f"a number has {len(digits)} digits; at most {MAX_NUMBER_DIGITS} are accepted")
    return int(text)


def _constant(text: str) -> Any:
    raise BadInputError(f"{text} is not a number JSON allows")


def _check_depth(document: Any, max_depth: int) -> None:
    """BadInputError if lists and objects nest more than ``max_depth`` deep (checked without recursion)."""
    level: list[tuple[Any, int]] = [(document, 1)]
    while level:
        value, depth = level.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > max_depth:
            raise BadInputError(f"lists and objects nest more than {max_depth} deep")
        level.extend((child, depth + 1) for child in children)


def parse_json_text(text: str, *, max_depth: int) -> Any:
    """Decode JSON text under the rules of the module docstring (BadInputError, or JSONDecodeError for
    a syntax error, which carries its line and column)."""
    try:
        document = json.loads(text, object_pairs_hook=_refuse_duplicates, parse_int=_integer, parse_constant=_constant)
    except RecursionError:
        raise BadInputError(f"lists and objects nest more than {max_depth} deep") from None
    _check_depth(document, max_depth)
    return document


def load_json_file(path: Path, what: str, *, max_bytes: int, max_depth: int, error: Callable[[str], Exception]) -> Any:
    """Read and decode the JSON file ``path`` (``what`` names it in messages); any problem is raised as
    ``error(message)``, a message naming the file and the problem."""
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {describe_os_error(exc)}") from exc
    if len(data) > max_bytes:
        raise error(f"{what} {path} is larger than {max_bytes} bytes")
    try:
        return parse_json_text(data.decode("utf-8"), max_depth=max_depth)
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise error(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except BadInputError as exc:
        raise error(f"{path} is refused: {exc}") from exc
