"""Strict parsing: numbers in ASCII digits only, canonical names without look-alikes, hostile JSON refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollup.errors import BadInputError
from rollup.scenario import MAX_SCENARIO_BYTES, MAX_SCENARIO_DEPTH, ScenarioError, load_scenario, parse_scenario
from rollup.strict_input import (
    MAX_NUMBER_DIGITS,
    confusable_key,
    find_look_alike,
    normalize_name,
    parse_decimal,
    parse_json_text,
)

FULLWIDTH_SAM = "\uff33\uff41\uff4d"
"""Sam in full-width letters: NFKC makes it Sam."""
CYRILLIC_SAM = "\u0405\u0430m"
"""Sam with a Cyrillic S and a: a look-alike no normalisation removes."""
GREEK_SAM = "S\u03b1m"


@pytest.mark.parametrize("text", ["0", "7", "1000", "9" * MAX_NUMBER_DIGITS])
def test_parse_decimal_accepts_ascii_digits(text: str) -> None:
    assert parse_decimal(text, "amount") == int(text)


@pytest.mark.parametrize(
    "text",
    ["1_0", "+5", " 5", "5 ", "-1", "", "\u0665", "\uff15", "1.0", "0x10", "1e3", "五"],
)
def test_parse_decimal_refuses_what_int_would_take(text: str) -> None:
    with pytest.raises(BadInputError, match="the digits 0-9 only"):
        parse_decimal(text, "amount")


def test_parse_decimal_refuses_a_5000_digit_number_by_its_length() -> None:
    with pytest.raises(BadInputError, match=f"amount has 5000 digits; at most {MAX_NUMBER_DIGITS}"):
        parse_decimal("1" * 5000, "amount")


@pytest.mark.parametrize(("given", "canonical"), [("Sam", "Sam"), (FULLWIDTH_SAM, "Sam"), ("user_2.b-c", "user_2.b-c")])
def test_names_are_normalised(given: str, canonical: str) -> None:
    assert normalize_name(given) == canonical


@pytest.mark.parametrize(
    "name",
    [CYRILLIC_SAM, GREEK_SAM, "S am", "", "-Sam", ".Sam", "Sam\u200b", "Sa\u0301m", "x" * 65, "a/b", "Sam!", 7, None],
)
def test_names_outside_the_safe_alphabet_are_refused(name: object) -> None:
    with pytest.raises(BadInputError):
        normalize_name(name)


def test_look_alikes_within_the_alphabet_share_a_key() -> None:
    assert confusable_key("Sam") == confusable_key("SAM") == confusable_key("sam")
    assert confusable_key("B0b") == confusable_key("Bob")
    assert confusable_key("Ali") == confusable_key("Al1") == confusable_key("All")
    assert confusable_key("Sam") != confusable_key("Tom")
    assert find_look_alike("SAM", {"Sam": 1, "Jack": 2}) == "Sam"
    assert find_look_alike("Sam", {"Sam": 1}) is None
    assert find_look_alike("Kate", {"Sam": 1}) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "the key 'a' appears twice"),
        ('[{"x": {"b": 1, "b": 1}}]', "the key 'b' appears twice"),
        ("[" + "1" * 5000 + "]", "5000 digits"),
        ("[NaN]", "NaN is not a number JSON allows"),
        ("[-Infinity]", "-Infinity is not a number JSON allows"),
        ("[" * 50 + "]" * 50, "nest more than 8 deep"),
        ("[" * 100_000 + "]" * 100_000, "nest more than 8 deep"),
    ],
)
def test_hostile_json_is_refused(text: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        parse_json_text(text, max_depth=8)


def test_json_within_the_limits_decodes() -> None:
    assert parse_json_text('{"a": [1, {"b": -2}], "c": "x"}', max_depth=3) == {"a": [1, {"b": -2}], "c": "x"}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_file_limits(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=f"larger than {MAX_SCENARIO_BYTES} bytes"):
        load_scenario(write(tmp_path / "big.json", " " * (MAX_SCENARIO_BYTES + 1)))
    deep = '{"users": {"A": 1}, "blocks": ' + "[" * (MAX_SCENARIO_DEPTH + 1) + "]" * (MAX_SCENARIO_DEPTH + 1) + "}"
    with pytest.raises(ScenarioError, match=f"nest more than {MAX_SCENARIO_DEPTH} deep"):
        load_scenario(write(tmp_path / "deep.json", deep))
    with pytest.raises(ScenarioError, match="appears twice"):
        load_scenario(write(tmp_path / "dup.json", '{"users": {"A": 1, "A": 5}, "blocks": []}'))
    tmp_path.joinpath("binary.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(tmp_path / "binary.json")
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "absent.json")


def test_scenario_names_are_canonical_and_never_look_alike() -> None:
    document = {"users": {FULLWIDTH_SAM: 5}, "blocks": [[{"claim": {"by": "Sam"}}]]}
    assert parse_scenario(document).users == {"Sam": 5}
    for users in ({"Sam": 1, FULLWIDTH_SAM: 2}, {"Sam": 1, "SAM": 2}, {"Bob": 1, "B0b": 2}):
        with pytest.raises(ScenarioError, match="looks like it"):
            parse_scenario({"users": users, "blocks": []})
    with pytest.raises(ScenarioError, match="may hold only"):
        parse_scenario({"users": {CYRILLIC_SAM: 1}, "blocks": []})


def test_scenario_fields_are_type_checked() -> None:
    for document, message in (
        ({"users": {"A": 1.5}, "blocks": []}, "users.A must be an integer"),
        ({"users": {"A": True}, "blocks": []}, "users.A must be an integer"),
        ({"users": {"A": 1}, "blocks": [[{"send": {"from": "A", "to": "A", "amount": "1"}}]]}, "amount must be"),
        ({"users": {"A": 1}, "blocks": [[{"claim": {"by": 3}}]]}, "must be a string"),
        ({"users": {"A": 1}, "blocks": {"0": []}}, '"blocks" must be a list'),
    ):
        with pytest.raises(ScenarioError, match=message):
            parse_scenario(json.loads(json.dumps(document)))


def test_a_chain_registers_no_look_alike_of_a_name(tmp_path: Path) -> None:
    from rollup.chain_dir import ChainDirectory
    from rollup.errors import RollupError

    with ChainDirectory.open(tmp_path / "chain", create=True) as chain:
        chain.add_user("Sam", 10)
        with pytest.raises(RollupError, match="'Sam' already exists"):
            chain.add_user(FULLWIDTH_SAM, 10)
        with pytest.raises(RollupError, match="looks like the existing user 'Sam'"):
            chain.add_user("SAM", 10)
        with pytest.raises(BadInputError, match="may hold only"):
            chain.add_user(CYRILLIC_SAM, 10)
        assert chain.id_of(FULLWIDTH_SAM) == chain.id_of("Sam")
        assert chain.users == {"Sam": 1}
