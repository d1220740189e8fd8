"""Golden values: configured rules in order, the record each value came from."""

from __future__ import annotations

from linkage.records import SourceRecord
from linkage.survivorship import Golden, pick

PRIORITY = ("owner_app", "dealer_crm", "club_registration", "web_form", "survey")


def rec(
    source: str,
    source_id: str,
    updated_at: str | None = None,
    *,
    first: str | None = None,
    last: str | None = None,
    country: str | None = None,
    dealer: str | None = None,
    **attributes: str,
) -> SourceRecord:
    record = SourceRecord(
        source=source,
        source_id=source_id,
        updated_at=updated_at,
        first_name=first,
        last_name=last,
        email=None,
        phone=None,
        country=country,
        preferred_dealer=dealer,
        email_key=None,
        phone_key=None,
    )
    return record.with_attributes(attributes)


# --- source_priority -----------------------------------------------------------------


def test_source_priority_prefers_the_first_configured_source() -> None:
    records = [
        rec("survey", "s1", "2025-06-01", country="FR"),
        rec("dealer_crm", "d1", "2020-01-01", country="IT"),
        rec("web_form", "w1", "2024-01-01", country="DE"),
    ]
    golden = pick(records, "country", ["source_priority"], PRIORITY)
    assert golden == Golden("IT", ("dealer_crm", "d1"), "source_priority")


def test_source_priority_takes_the_most_recent_record_of_the_winning_source() -> None:
    records = [
        rec("dealer_crm", "d1", "2021-03-01", dealer="IT-001"),
        rec("dealer_crm", "d2", "2023-03-01", dealer="IT-002"),
        rec("dealer_crm", "d3", "2022-03-01", dealer="IT-003"),
        rec("survey", "s1", "2025-01-01", dealer="IT-009"),
    ]
    golden = pick(records, "preferred_dealer", ["source_priority"], PRIORITY)
    assert golden == Golden("IT-002", ("dealer_crm", "d2"), "source_priority")


def test_source_priority_ignores_sources_without_a_value() -> None:
    records = [
        rec("owner_app", "a1", "2025-01-01"),  # no country
        rec("web_form", "w1", "2020-01-01", country="ES"),
    ]
    golden = pick(records, "country", ["source_priority"], PRIORITY)
    assert golden == Golden("ES", ("web_form", "w1"), "source_priority")


def test_source_priority_falls_through_for_unlisted_sources() -> None:
    records = [
        rec("ticketing", "t1", "2022-01-01", country="AT"),
        rec("ticketing", "t2", "2024-01-01", country="CH"),
    ]
    golden = pick(records, "country", ["source_priority", "most_recent"], PRIORITY)
    assert golden == Golden("CH", ("ticketing", "t2"), "most_recent")


def test_empty_priority_list_never_decides() -> None:
    records = [rec("owner_app", "a1", country="IT"), rec("crm", "c0", country="FR")]
    golden = pick(records, "country", ["source_priority"], ())
    assert golden == Golden("FR", ("crm", "c0"), "non_empty")


# --- most_recent ---------------------------------------------------------------------


def test_most_recent_takes_the_latest_update() -> None:
    records = [
        rec("survey", "s1", "2023-05-01", language="it"),
        rec("dealer_crm", "d1", "2024-11-30", language="de"),
        rec("web_form", "w1", None, language="fr"),
    ]
    golden = pick(records, "language", ["most_recent"], PRIORITY)
    assert golden == Golden("de", ("dealer_crm", "d1"), "most_recent")


def test_most_recent_without_dates_falls_back_to_non_empty() -> None:
    records = [
        rec("web_form", "w2", language="fr"),
        rec("web_form", "w1", language="it"),
    ]
    golden = pick(records, "language", ["most_recent"], PRIORITY)
    assert golden == Golden("it", ("web_form", "w1"), "non_empty")


# --- most_frequent -------------------------------------------------------------------


def test_most_frequent_takes_the_majority_value() -> None:
    records = [
        rec("owner_app", "a1", "2025-01-01", birthDate="1980-05-13"),
        rec("dealer_crm", "d1", "2020-01-01", birthDate="1980-05-12"),
        rec("survey", "s1", "2021-01-01", birthDate="1980-05-12"),
    ]
    golden = pick(records, "birth_date", ["most_frequent", "source_priority"], PRIORITY)
    # The majority beats the prioritised owner app; the first holder by key speaks for it.
    assert golden == Golden("1980-05-12", ("dealer_crm", "d1"), "most_frequent")


def test_most_frequent_tie_falls_through_to_the_next_rule() -> None:
    records = [
        rec("survey", "s1", birthDate="1980-05-12"),
        rec("survey", "s2", birthDate="1980-05-12"),
        rec("dealer_crm", "d1", birthDate="1979-01-01"),
        rec("owner_app", "a1", birthDate="1979-01-01"),
    ]
    golden = pick(records, "birth_date", ["most_frequent", "source_priority"], PRIORITY)
    assert golden == Golden("1979-01-01", ("owner_app", "a1"), "source_priority")


def test_most_frequent_single_value_decides() -> None:
    records = [rec("survey", "s1", birthDate="1980-05-12"), rec("survey", "s2")]
    golden = pick(records, "birth_date", ["most_frequent"], PRIORITY)
    assert golden == Golden("1980-05-12", ("survey", "s1"), "most_frequent")


# --- non_empty and no value ----------------------------------------------------------


def test_non_empty_is_the_fallback_and_picks_by_record_key() -> None:
    records = [
        rec("web_form", "w1", "2025-01-01", country="FR"),
        rec("dealer_crm", "d9", "2020-01-01", country="IT"),
    ]
    assert pick(records, "country", [], PRIORITY) == Golden(
        "IT", ("dealer_crm", "d9"), "non_empty"
    )


def test_no_value_anywhere_gives_none() -> None:
    records = [rec("owner_app", "a1", "2025-01-01"), rec("survey", "s1")]
    assert pick(records, "country", ["source_priority"], PRIORITY) is None
    assert pick(records, "name", ["source_priority"], PRIORITY) is None
    assert pick([], "language", ["most_recent"], PRIORITY) is None


# --- the name is one field -----------------------------------------------------------


def test_name_comes_whole_from_one_record() -> None:
    records = [
        rec("owner_app", "a1", "2025-01-01", first="Beppe"),  # no family name
        rec("dealer_crm", "d1", "2024-01-01", first="Giuseppe", last="Bellini"),
    ]
    golden = pick(records, "name", ["source_priority", "most_recent"], PRIORITY)
    # Never "Beppe Bellini": given and family come from the same record.
    assert golden == Golden(("Beppe", None), ("owner_app", "a1"), "source_priority")


def test_record_without_a_name_does_not_compete_for_the_name() -> None:
    records = [
        rec("owner_app", "a1", "2025-01-01"),
        rec("survey", "s1", "2019-01-01", last="Bellini"),
        rec("dealer_crm", "d1", "2018-01-01", first="Giuseppe", last="Bellini"),
    ]
    golden = pick(records, "name", ["source_priority"], PRIORITY)
    assert golden == Golden(
        ("Giuseppe", "Bellini"), ("dealer_crm", "d1"), "source_priority"
    )


def test_most_frequent_name_counts_whole_names() -> None:
    records = [
        rec("survey", "s1", first="Anna", last="Rossi"),
        rec("web_form", "w1", first="Anna", last="Rossi"),
        rec("owner_app", "a1", first="Anna", last="Bianchi"),
    ]
    golden = pick(records, "name", ["most_frequent"], PRIORITY)
    assert golden == Golden(("Anna", "Rossi"), ("survey", "s1"), "most_frequent")


def test_result_does_not_depend_on_record_order() -> None:
    records = [
        rec("survey", "s1", "2024-01-01", birthDate="1980-05-12"),
        rec("survey", "s2", "2024-01-01", birthDate="1981-01-01"),
        rec("web_form", "w1", "2024-01-01", birthDate="1982-02-02"),
    ]
    rules = ["most_frequent", "most_recent"]
    expected = pick(records, "birth_date", rules, PRIORITY)
    # Three-way tie on frequency and on date: the first record by key wins.
    assert expected == Golden("1980-05-12", ("survey", "s1"), "most_recent")
    assert pick(records[::-1], "birth_date", rules, PRIORITY) == expected
