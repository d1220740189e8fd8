"""Linkage settings: the shipped file loads, a broken file reports every problem at once."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from linkage.frame import COLUMNS
from linkage.settings import (
    DEFAULT,
    Criterion,
    LinkageSettingsError,
    Rule,
    default,
    load,
)

VALID = """
version = "test-1"

[thresholds]
auto_match = 0.95
review = 0.7
max_block = 50

[[rule]]
name = "same_email_same_given"
criteria = [
    { field = "email", method = "exact" },
    { field = "given_canon", method = "name", threshold = 0.9, blanks_match = true },
]

[[rule]]
name = "same_address"
evidence = "household"
criteria = [{ field = "address" }]

[model]
blocking = [["email"], ["given", "family"]]

[[comparison]]
name = "email"
levels = [{ null = "email" }, { exact = "email" }, { levenshtein = "email", threshold = 2 }]

[cluster]
exclusive = { app_account = 0, birth_date = 1 }
deduplicated_sources = ["owner_app"]

[survivorship]
source_priority = ["owner_app", "dealer_crm"]

[survivorship.fields]
name = ["source_priority", "most_recent"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "linkage.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped file ----------------------------------------------------------------


def test_default_file_loads_with_what_it_declares() -> None:
    raw = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    settings = default()
    assert settings.version == raw["version"] and settings.version
    assert [r.name for r in settings.rules] == [r["name"] for r in raw["rule"]]
    assert [c.name for c in settings.model.comparisons] == [
        c["name"] for c in raw["comparison"]
    ]
    assert settings.auto_match == raw["thresholds"]["auto_match"]
    assert settings.review == raw["thresholds"]["review"]
    assert 0 < settings.review <= settings.auto_match < 1
    assert settings.exclusive == raw["cluster"]["exclusive"]
    assert settings.model.blocking
    assert set(settings.survivorship) == set(raw["survivorship"]["fields"])


def test_default_rules_are_well_formed() -> None:
    settings = default()
    assert settings.identity_rules and settings.household_rules
    assert set(settings.identity_rules) | set(settings.household_rules) == set(
        settings.rules
    )
    for rule in settings.rules:
        block = rule.criteria[0]
        assert block.method == "exact" and not block.blanks_match
        assert all(c.field in COLUMNS for c in rule.criteria)
    names = {r.name for r in settings.identity_rules}
    assert "same_app_account" in names


def test_default_is_cached_and_equals_a_fresh_load() -> None:
    assert default() is default()
    assert load(DEFAULT) == default()


# --- a valid file --------------------------------------------------------------------


def test_valid_file_parses_into_settings(tmp_path: Path) -> None:
    settings = load(write(tmp_path, VALID))
    assert settings.version == "test-1"
    assert (settings.auto_match, settings.review, settings.max_block) == (0.95, 0.7, 50)
    assert settings.rules == (
        Rule(
            "same_email_same_given",
            "identity",
            (
                Criterion("email", "exact"),
                Criterion("given_canon", "name", 0.9, True),
            ),
        ),
        Rule("same_address", "household", (Criterion("address", "exact", 1.0, False),)),
    )
    assert settings.model.blocking == (("email",), ("given", "family"))
    assert settings.exclusive == {"app_account": 0, "birth_date": 1}
    assert settings.deduplicated_sources == ("owner_app",)
    assert settings.source_priority == ("owner_app", "dealer_crm")
    assert settings.survivorship == {"name": ("source_priority", "most_recent")}
    # Defaults for what the file leaves out.
    assert settings.given_name_similarity == 0.85
    assert settings.max_household == 8


# --- broken files --------------------------------------------------------------------

BROKEN = """
version = "broken-1"

[thresholds]
auto_match = 0.80
review = 0.95

[[rule]]
name = "shoe_rule"
criteria = [{ field = "shoe_size", method = "exact" }]

[[rule]]
name = "sounds_alike"
criteria = [
    { field = "email", method = "exact" },
    { field = "family", method = "soundex" },
]

[[rule]]
name = "fuzzy_first"
criteria = [{ field = "given", method = "fuzzy", threshold = 0.9 }]

[model]
blocking = [["email"]]

[[comparison]]
name = "given_name"
levels = [{ null = "given" }, { cosine = "given" }]

[survivorship.fields]
name = ["loudest"]
"""


def test_broken_file_reports_every_problem_in_one_error(tmp_path: Path) -> None:
    path = write(tmp_path, BROKEN)
    with pytest.raises(LinkageSettingsError) as excinfo:
        load(path)
    message = str(excinfo.value)
    assert message.startswith(f"{path}: ")
    expected = [
        "thresholds: need 0 < review <= auto_match < 1",
        "rule #1 (shoe_rule): unknown field 'shoe_size'",
        "rule #2 (sounds_alike): method must be exact, fuzzy or name, got 'soundex'",
        "rule #3 (fuzzy_first): the first criterion must be exact",
        "comparison given_name: level {'cosine': 'given'} needs one of",
        "survivorship.name: unknown rules ['loudest']",
    ]
    missing = [e for e in expected if e not in message]
    assert missing == [], message
    assert "malformed entry" not in message
    assert excinfo.value.exit_code == 2


@pytest.mark.parametrize(
    ("replace", "by", "problem"),
    [
        ('version = "test-1"', "", "version (a string) is required"),
        ("review = 0.7", "review = 0.0", "thresholds: need 0 < review"),
        (
            '{ field = "address" }',
            '{ field = "address", blanks_match = true }',
            "rule #2 (same_address): the first criterion must be exact, blanks not matching",
        ),
        (
            'evidence = "household"',
            'evidence = "family"',
            "evidence must be identity or household",
        ),
        (
            '{ field = "address" }',
            '{ field = "vins" }, { field = "vins", method = "fuzzy" }',
            "rule #2 (same_address): fuzzy on list field 'vins'",
        ),
        (
            'blocking = [["email"], ["given", "family"]]',
            'blocking = [["email"], ["shoe_size"]]',
            "model.blocking: unknown field 'shoe_size'",
        ),
        (
            '{ null = "email" }',
            '{ null = "email", exact = "email" }',
            "comparison email: level",
        ),
        (
            'blocking = [["email"], ["given", "family"]]',
            'memory_mb = 10\nblocking = [["email"], ["given", "family"]]',
            "model: memory_mb must be at least 100",
        ),
        ("app_account = 0", "app_acount = 0", "cluster.exclusive: unknown field"),
        (
            "[cluster]",
            '[cluster]\nco_attendance = "yes"',
            "cluster.co_attendance must be true or false, got 'yes'",
        ),
        (
            'name = ["source_priority"',
            'eye_colour = ["source_priority"',
            "survivorship: unknown field 'eye_colour'",
        ),
    ],
)
def test_each_problem_is_reported(
    tmp_path: Path, replace: str, by: str, problem: str
) -> None:
    assert replace in VALID
    with pytest.raises(LinkageSettingsError) as excinfo:
        load(write(tmp_path, VALID.replace(replace, by, 1)))
    assert problem in str(excinfo.value)


def test_model_needs_blocking_and_comparisons(tmp_path: Path) -> None:
    text = VALID.split("[model]")[0]
    with pytest.raises(LinkageSettingsError, match="blocking and at least one"):
        load(write(tmp_path, text))


def test_invalid_toml_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'version = "x"\n[[rule]\nname = ')
    with pytest.raises(LinkageSettingsError, match="is not valid TOML") as excinfo:
        load(path)
    assert str(path) in str(excinfo.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LinkageSettingsError, match="cannot read"):
        load(tmp_path / "absent.toml")


def test_wrongly_typed_value_does_not_hide_other_problems(tmp_path: Path) -> None:
    text = VALID.replace("auto_match = 0.95", 'auto_match = "high"').replace(
        '"most_recent"]', '"loudest"]'
    )
    with pytest.raises(LinkageSettingsError) as excinfo:
        load(write(tmp_path, text))
    message = str(excinfo.value)
    assert "auto_match" in message
    assert "survivorship.name: unknown rules ['loudest']" in message
