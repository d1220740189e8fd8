"""The data generator: determinism, validity, truth coverage and the rates it promises."""

from __future__ import annotations

import csv
import filecmp
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from linkage.generate.config import ConfigError, load_config
from linkage.generate.extracts import FILE_NAMES, IDENTITY_SOURCES
from linkage.generate.population import free_member_number
from linkage.generate.run import generate
from linkage.normalise.vins import normalise_vin
from linkage.sources import ingest, load_sources
from tests.conftest import cli_env, run_cli

PEOPLE = 1500


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(PEOPLE, 11, tmp_path_factory.mktemp("gen") / "data").folder


def _csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_same_seed_same_bytes(dataset: Path, tmp_path: Path) -> None:
    again = generate(PEOPLE, 11, tmp_path / "again").folder
    files = _files(dataset)
    assert files == _files(again)
    _, mismatch, errors = filecmp.cmpfiles(dataset, again, files, shallow=False)
    assert (mismatch, errors) == ([], [])
    other = generate(200, 12, tmp_path / "other").folder
    assert (other / "dealer_crm_accounts.csv").read_bytes() != (
        dataset / "dealer_crm_accounts.csv"
    ).read_bytes()


def test_truth_covers_every_record(dataset: Path) -> None:
    truth = _csv(dataset / "truth" / "truth.csv")
    keys = Counter((t["source"], t["source_id"]) for t in truth)
    assert all(n == 1 for n in keys.values()), "a source id appears twice"
    people = {p["person_id"]: p for p in _csv(dataset / "truth" / "people.csv")}
    assert len(people) == PEOPLE
    assert {t["person_id"] for t in truth} <= set(people)
    sources = load_sources(dataset / "sources.toml")
    by_source = Counter(t["source"] for t in truth)
    for spec in sources.sources:
        rows = (
            _jsonl(spec.file)
            if spec.format == "jsonl"
            else _csv(spec.file, spec.delimiter)
        )
        assert len(rows) == by_source[spec.name], spec.name
        ids = {"/".join(str(r[c]) for c in spec.id) for r in rows}
        assert ids == {k[1] for k in keys if k[0] == spec.name}, spec.name


def test_every_vin_validates(dataset: Path) -> None:
    vins = [r["VIN"] for r in _csv(dataset / "dealer_crm_orders.csv", ";")]
    vins += [r["vin"] for r in _csv(dataset / "service_visits.csv")]
    vins += [
        g["vin"]
        for a in _jsonl(dataset / "owner_app_accounts.jsonl")
        for g in a["garage"]
    ]  # type: ignore[union-attr]
    assert len(vins) > 100
    assert all(normalise_vin(v) == v for v in vins)


def test_referrals_point_to_earlier_customers(dataset: Path) -> None:
    referrals = _csv(dataset / "truth" / "referrals.csv")
    assert referrals, "no referrals generated"
    journeys = defaultdict(list)
    for j in _csv(dataset / "truth" / "journeys.csv"):
        journeys[j["person_id"]].append(j)
    people = {p["person_id"]: p for p in _csv(dataset / "truth" / "people.csv")}
    depth = {}
    for r in referrals:
        assert r["referrer_id"] in people and r["referee_id"] in people
        assert r["referrer_id"] != r["referee_id"]
        deliveries = [
            j["at"] for j in journeys[r["referrer_id"]] if j["kind"] == "delivery"
        ]
        assert deliveries and min(deliveries) < r["at"], (
            "referrer was not a customer yet"
        )
        assert r["at"] <= people[r["referee_id"]]["first_contact"] + "T23:59:59"
        depth[r["referee_id"]] = int(r["depth"])
    assert max(depth.values()) <= load_config().identity.max_chain
    share = len(referrals) / PEOPLE
    assert 0.01 < share < 0.08


def test_journeys_are_time_ordered_and_stage_consistent(dataset: Path) -> None:
    journeys = defaultdict(list)
    for j in _csv(dataset / "truth" / "journeys.csv"):
        journeys[j["person_id"]].append(j)
    assert len(journeys) > PEOPLE * 0.9
    stages = Counter(p["stage"] for p in _csv(dataset / "truth" / "people.csv"))
    for steps in journeys.values():
        assert [int(s["seq"]) for s in steps] == list(range(1, len(steps) + 1))
        assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
        kinds = [s["kind"] for s in steps]
        for vin in {s["vin"] for s in steps if s["kind"] == "delivery"}:
            order = next(
                i
                for i, s in enumerate(steps)
                if s["kind"] == "order" and s["vin"] == vin
            )
            delivery = next(
                i
                for i, s in enumerate(steps)
                if s["kind"] == "delivery" and s["vin"] == vin
            )
            assert order < delivery
        if "service_visit" in kinds:
            assert kinds.index("delivery") < kinds.index("service_visit")
    # Contacts and prospects outnumber owners 2-3x (domain brief §10); every stage occurs.
    owners = stages["owner"] + stages["repeat_owner"] + stages["former_owner"]
    assert 1.5 <= (PEOPLE - owners) / owners <= 4
    assert {
        "contact",
        "prospect",
        "sleeper_lead",
        "owner",
        "repeat_owner",
        "former_owner",
    } <= set(stages)


def test_noise_rates_match_the_config(dataset: Path) -> None:
    noise = load_config().noise
    truth = _csv(dataset / "truth" / "truth.csv")
    identity_records = sum(1 for t in truth if t["source"] in IDENTITY_SOURCES)
    kinds = Counter(n["kind"] for n in _csv(dataset / "truth" / "noise.csv"))
    phone_format = sum(v for k, v in kinds.items() if k.startswith("phone_"))
    email_variant = sum(
        v for k, v in kinds.items() if k.startswith("email_") and k != "email_"
    )
    for measured, configured in (
        (kinds["typo"], noise.typo),
        (kinds["swapped_names"], noise.swapped_names),
        (kinds["missing_phone"], noise.missing_phone),
        (kinds["missing_email"], noise.missing_email),
        (phone_format, noise.phone_format),
        (email_variant, noise.email_variant),
    ):
        rate = measured / identity_records
        # 4 standard deviations of a binomial rate: fails only if the generator is off.
        tolerance = (
            4 * (configured * (1 - configured) / identity_records) ** 0.5 + 0.002
        )
        assert abs(rate - configured) <= tolerance, (measured, configured, rate)
    assert kinds["nickname"] > 0 and kinds["second_email"] > 0


def test_generated_data_ingests_through_its_sources_file(dataset: Path) -> None:
    data = ingest(load_sources(dataset / "sources.toml"))
    truth = _csv(dataset / "truth" / "truth.csv")
    identity_rows = sum(
        1 for t in truth if t["source"] in {*IDENTITY_SOURCES, "survey"}
    )
    whole = [q for q in data.quarantined if q.field is None]
    assert len(data.records) + len(whole) == identity_rows
    assert len(data.records) > identity_rows * 0.97
    # Only the noise the generator puts in may be quarantined: every file is well-formed.
    reasons = Counter(q.reason for q in data.quarantined)
    assert set(reasons) <= {
        "no name, email, phone or account to identify a person",
        "not a valid phone number",
    }
    assert reasons["not a valid phone number"] <= identity_rows * 0.01
    assert set(data.reference) == {"countries", "dealers", "clubs", "models", "events"}
    assert sum(data.touchpoint_rows.values()) > 0
    # Non-Latin scripts arrive in the app in their own script.
    scripts = {
        r.first_name
        for r in data.records
        if r.source == "owner_app" and r.first_name and not r.first_name.isascii()
    }
    assert scripts


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--people", "0"], "--people must be at least 1"),
        (["--people", "-5"], "--people must be at least 1"),
        (["--people", "10", "--brand", "bus"], "unknown brand 'bus'"),
    ],
)
def test_bad_arguments_are_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_cli(
        "generate", *args, "--out", str(tmp_path / "out"), env=cli_env(None)
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_refuses_a_non_empty_or_unwritable_folder(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not an empty folder"):
        generate(10, 1, tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot write"):
        generate(10, 1, blocker / "sub")


def test_malformed_config_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[noise]\ntypo = 2.0\nsneeze = 0.1\n[population]\nnps_mix = [0.5, 0.5, 0.5]\n[weather]\nrain = 1\n"
    )
    with pytest.raises(ConfigError) as err:
        generate(10, 1, tmp_path / "out", config_path=bad)
    for part in (
        "unknown section [weather]",
        "unknown key noise.sneeze",
        "noise.typo must be between 0 and 1",
        "nps_mix must be 3 shares",
    ):
        assert part in err.value.message
    assert not (tmp_path / "out").exists()
    (tmp_path / "broken.toml").write_text("[noise\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "broken.toml")


def test_a_custom_config_changes_the_output(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[noise]\ntypo = 0.5\n")
    folder = generate(300, 3, tmp_path / "out", config_path=cfg).folder
    kinds = Counter(n["kind"] for n in _csv(folder / "truth" / "noise.csv"))
    records = sum(
        1
        for t in _csv(folder / "truth" / "truth.csv")
        if t["source"] in IDENTITY_SOURCES
    )
    assert 0.4 < kinds["typo"] / records < 0.6


def test_club_membership_numbers_are_unique_per_club(tmp_path: Path) -> None:
    # Few large clubs: hundreds of members drawing from 1..9999 would clash (a
    # birthday-paradox certainty), and two people would share one source record.
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[world]\nmin_dealers = 2\nmax_dealers = 2\nclubs_per_dealer = 0.5\n"
        "[population]\nclub_member_of_owners = 1.0\n"
    )
    folder = generate(10000, 5, tmp_path / "out", config_path=cfg).folder
    rows = _csv(folder / "club_registrations.csv")
    per_club = Counter(r["club_code"] for r in rows)
    assert max(per_club.values()) > 250
    ids = Counter((r["club_code"], r["member_no"]) for r in rows)
    assert ids.most_common(1)[0][1] == 1


def test_free_member_number_probes_past_taken_numbers() -> None:
    taken = {7, 8}
    assert free_member_number(taken, 3) == 3
    assert free_member_number(taken, 7) == 9
    assert taken == {3, 7, 8, 9}


def test_car_brand(tmp_path: Path) -> None:
    folder = generate(300, 5, tmp_path / "car", brand="car").folder
    dealers = _csv(folder / "reference" / "dealers.csv")
    assert sum(d["kind"] == "centre" for d in dealers) == 30
    assert sum(d["kind"] == "experience_centre" for d in dealers) == 2
    assert _csv(folder / "reference" / "clubs.csv") == []
    assert {p["country"] for p in _csv(folder / "truth" / "people.csv")} == {"IT"}
    models = {m["name"] for m in _csv(folder / "reference" / "models.csv")}
    assert "Aster Speciale" in models and "Nembo V4" not in models
    assert FILE_NAMES["dealer_crm"] in {p.name for p in folder.iterdir()}


def test_limited_editions_sell_out() -> None:
    import datetime as dt
    import random

    from linkage.generate.world import build_world

    world = build_world(
        "moto", 1000, dt.date(2026, 6, 30), 8, 40, 12, 750, 0.47, 25, random.Random(1)
    )
    atelier = world.model("NV4-ATL")
    assert atelier.limited_units == 500 and atelier.special_trim_units == 50
    for _ in range(499):
        world.new_vin(atelier, 2025)
    assert not world.sold_out(atelier)
    world.new_vin(atelier, 2025)
    assert world.sold_out(atelier)
    assert not world.sold_out(world.model("S950"))


def test_forms_include_test_rides_and_quotation_requests(dataset: Path) -> None:
    forms = Counter(str(f["form"]) for f in _jsonl(dataset / "web_forms.jsonl"))
    assert {"newsletter", "brochure", "test_ride", "quotation_request"} <= set(forms)
    scores = [int(r["score"]) for r in _csv(dataset / "nps_responses.csv")]
    reasons = [
        r["reason"] for r in _csv(dataset / "nps_responses.csv") if int(r["score"]) < 7
    ]
    assert all(reasons), "a score below 7 always has a reason"
    promoters = sum(s >= 9 for s in scores) / len(scores)
    detractors = sum(s <= 6 for s in scores) / len(scores)
    assert 0.5 < promoters < 0.8 and 0.05 < detractors < 0.25  # brief: 65% / 12%
