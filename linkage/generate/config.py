"""Generator settings: ``defaults.toml`` overlaid with the user's file, checked once.

Every problem in a user's file (unknown section or key, wrong type, a rate outside 0..1) is
collected and reported together, so one run shows everything to fix.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkage import tomlfile
from ontology.errors import C360Error

DEFAULTS = Path(__file__).with_name("defaults.toml")


class ConfigError(C360Error):
    """The generator config cannot be used; the message lists every problem."""

    exit_code = 2


@dataclass(frozen=True)
class World:
    as_of: str
    history_years: int
    people_per_dealer: int
    min_dealers: int
    max_dealers: int
    clubs_per_dealer: float
    events_per_1000_people: int

    @property
    def as_of_date(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of)


@dataclass(frozen=True)
class Population:
    prospect: float
    order_after_quotation: float
    repeat_purchase: float
    resale_per_year: float
    recertified_within_12m: float
    app_owner: float
    app_pre2022_declared: float
    club_member_of_owners: float
    event_attendance: float
    guest_on_ticket: float
    survey_response: float
    nps_mix: list[float]
    newsletter: float
    engaged_within_3d: float
    engaged_after_sms: float


@dataclass(frozen=True)
class Households:
    rate: float
    same_surname: float
    shared_landline: float
    shared_email: float
    shared_vehicle: float


@dataclass(frozen=True)
class Identity:
    homonym: float
    referred: float
    referrer_already_referred: float
    max_chain: int


@dataclass(frozen=True)
class Noise:
    typo: float
    nickname: float
    swapped_names: float
    diacritics_stripped: float
    second_email: float
    email_variant: float
    phone_format: float
    missing_phone: float
    missing_email: float
    moved_address: float


@dataclass(frozen=True)
class GeneratorConfig:
    world: World
    population: Population
    households: Households
    identity: Identity
    noise: Noise


SECTIONS: dict[str, type[Any]] = {
    "world": World,
    "population": Population,
    "households": Households,
    "identity": Identity,
    "noise": Noise,
}
# Integer- or text-valued keys; every other float key is a probability in 0..1.
NOT_RATES = {
    "as_of",
    "history_years",
    "people_per_dealer",
    "min_dealers",
    "max_dealers",
    "events_per_1000_people",
    "max_chain",
    "clubs_per_dealer",
    "nps_mix",
}


def load_config(path: Path | None = None) -> GeneratorConfig:
    """Defaults, overlaid with ``path`` if given."""
    data = _read(DEFAULTS)
    problems: list[str] = []
    if path is not None:
        user = _read(path)
        for section, values in user.items():
            if section not in SECTIONS:
                problems.append(f"unknown section [{section}]")
            elif not isinstance(values, dict):
                problems.append(f"[{section}] must be a table")
            else:
                for key, value in values.items():
                    if key not in data[section]:
                        problems.append(f"unknown key {section}.{key}")
                    elif type(value) is not type(data[section][key]) and not (
                        isinstance(value, int) and isinstance(data[section][key], float)
                    ):
                        want = type(data[section][key]).__name__
                        problems.append(
                            f"{section}.{key} must be {want}, got {value!r}"
                        )
                    else:
                        data[section][key] = value
    problems += _check_values(data)
    if problems:
        where = path or DEFAULTS
        raise ConfigError(f"{where}: " + "; ".join(problems))
    return GeneratorConfig(
        **{
            name: cls(**{f.name: data[name][f.name] for f in dataclasses.fields(cls)})
            for name, cls in SECTIONS.items()
        }
    )


def _read(path: Path) -> dict[str, Any]:
    return tomlfile.read(path, ConfigError, "config")


def _check_values(data: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for section, values in data.items():
        for key, value in values.items():
            if key not in NOT_RATES and not 0 <= value <= 1:
                problems.append(f"{section}.{key} must be between 0 and 1, got {value}")
    mix = data["population"]["nps_mix"]
    if len(mix) != 3 or abs(sum(mix) - 1) > 1e-6:
        problems.append(
            "population.nps_mix must be 3 shares (promoters, passives, detractors) summing to 1"
        )
    try:
        dt.date.fromisoformat(data["world"]["as_of"])
    except ValueError:
        problems.append(
            f"world.as_of must be a date like 2026-06-30, got {data['world']['as_of']!r}"
        )
    if data["world"]["min_dealers"] > data["world"]["max_dealers"]:
        problems.append("world.min_dealers must not exceed world.max_dealers")
    return problems
