"""Linkage settings: one versioned TOML file (``linkage/data/linkage.toml`` by default).

Rules, the probabilistic model, clustering guards and survivorship are configuration, so a
data steward can change how identities resolve without touching code. Every problem in the
file is reported at once; a field must be a column of ``linkage.frame.COLUMNS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from linkage import tomlfile
from linkage.cluster import Guards
from linkage.frame import COLUMNS
from ontology.errors import C360Error

DEFAULT = Path(__file__).parent / "data" / "linkage.toml"
LEVEL_KINDS = {
    "else",
    "null",
    "exact",
    "reversed",
    "jaro_winkler",
    "levenshtein",
    "substr",
    "array",
    "damerau",
    "swapped",
    "all",
}
SURVIVORSHIP_RULES = {"source_priority", "most_recent", "most_frequent", "non_empty"}
GOLDEN_FIELDS = {"name", "birth_date", "country", "preferred_dealer", "language"}


class LinkageSettingsError(C360Error):
    """The linkage settings file cannot be used; the message lists every problem."""

    exit_code = 2


@dataclass(frozen=True)
class Criterion:
    field: str
    method: str  # exact | fuzzy | name (fuzzy, or given and family swapped)
    threshold: float = 1.0
    blanks_match: bool = False


@dataclass(frozen=True)
class Rule:
    """A pair matches the rule when every criterion holds; ``criteria[0]`` is its block."""

    name: str
    evidence: str  # identity | household
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ModelSettings:
    blocking: tuple[tuple[str, ...], ...]
    training: tuple[tuple[str, ...], ...]
    prior_rules: tuple[tuple[str, ...], ...]
    prior_recall: float
    u_pairs: int
    seed: int
    comparisons: tuple[Comparison, ...]
    # DuckDB's memory while scoring (MB of 10^6 bytes); beyond it, it spills to disk
    memory_mb: int = 800


@dataclass(frozen=True)
class LinkageSettings:
    version: str
    auto_match: float
    review: float
    max_block: int
    rules: tuple[Rule, ...]
    model: ModelSettings
    exclusive: dict[str, int]
    deduplicated_sources: tuple[str, ...]
    given_name_similarity: float
    max_household: int
    source_priority: tuple[str, ...]
    survivorship: dict[str, tuple[str, ...]]
    # a review-band pair of two named records joins when its clusters were at one event
    co_attendance: bool = True

    @property
    def guards(self) -> Guards:
        return Guards(self.exclusive, self.given_name_similarity)

    @property
    def identity_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.evidence == "identity")

    @property
    def household_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.evidence == "household")


@cache
def default() -> LinkageSettings:
    return load(DEFAULT)


def load(path: Path, columns: Mapping[str, str] = COLUMNS) -> LinkageSettings:
    """Parse and check a settings file; one ``LinkageSettingsError`` lists every problem.

    ``columns`` are the fields rules and comparisons may name: the customer frame's by
    default, a benchmark's own (``linkage.febrl``) otherwise.
    """
    data = tomlfile.read(path, LinkageSettingsError, "linkage settings")
    problems: list[str] = []
    try:
        settings = _parse(data, problems, columns)
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"malformed entry: {exc!r}")
        settings = None
    if problems or settings is None:
        raise LinkageSettingsError(f"{path}: " + "; ".join(problems))
    return settings


def _parse(
    data: dict[str, Any], problems: list[str], columns: Mapping[str, str]
) -> LinkageSettings:
    def num(table: dict[str, Any], key: str, default: float, where: str) -> float:
        """A number from the file, or the default with a named problem."""
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{where}.{key} must be a number, got {value!r}")
            return default
        return float(value)

    def flag(table: dict[str, Any], key: str, default: bool, where: str) -> bool:
        """A true/false from the file, or the default with a named problem."""
        value = table.get(key, default)
        if not isinstance(value, bool):
            problems.append(f"{where}.{key} must be true or false, got {value!r}")
            return default
        return value

    def _columns(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
        cols = tuple(str(c) for c in value)
        for c in cols:
            if c not in columns:
                problems.append(
                    f"{where}: unknown field {c!r} (known: {sorted(columns)})"
                )
        return cols

    version = data.get("version")
    if not isinstance(version, str) or not version:
        problems.append("version (a string) is required")
    th = data.get("thresholds", {})
    auto = num(th, "auto_match", 0.99, "thresholds")
    review = num(th, "review", 0.8, "thresholds")
    if not 0 < review <= auto < 1:
        problems.append("thresholds: need 0 < review <= auto_match < 1")
    rules = []
    for n, raw in enumerate(data.get("rule", []), start=1):
        where = f"rule #{n} ({raw.get('name', '?')})"
        crits = []
        for c in raw.get("criteria", []):
            if "field" not in c:
                problems.append(f"{where}: a criterion without a field")
                continue
            (field,) = _columns([c["field"]], where, problems)
            method = c.get("method", "exact")
            if method not in {"exact", "fuzzy", "name"}:
                problems.append(
                    f"{where}: method must be exact, fuzzy or name, got {method!r}"
                )
            if method != "exact" and columns.get(field) == "list":
                problems.append(f"{where}: fuzzy on list field {field!r}")
            crits.append(
                Criterion(
                    field,
                    method,
                    num(c, "threshold", 1.0, where),
                    bool(c.get("blanks_match", False)),
                )
            )
        if not crits or crits[0].method != "exact" or crits[0].blanks_match:
            problems.append(
                f"{where}: the first criterion must be exact, blanks not matching"
            )
        evidence = raw.get("evidence", "identity")
        if evidence not in {"identity", "household"}:
            problems.append(f"{where}: evidence must be identity or household")
        rules.append(Rule(str(raw.get("name")), str(evidence), tuple(crits)))
    m = data.get("model", {})
    comparisons = []
    for raw in data.get("comparison", []):
        where = f"comparison {raw.get('name', '?')}"
        pending = list(raw.get("levels", []))
        while pending:
            level = pending.pop()
            kinds = LEVEL_KINDS & set(level)
            if len(kinds) != 1:
                problems.append(
                    f"{where}: level {level} needs one of {sorted(LEVEL_KINDS)}"
                )
                continue
            (kind,) = kinds
            value = level[kind]
            if kind == "all":
                pending += list(value)
            elif kind != "else":
                _columns(value if isinstance(value, list) else [value], where, problems)
        if "name" not in raw:
            problems.append(f"{where}: a comparison needs a name")
        comparisons.append(
            Comparison(str(raw.get("name")), tuple(raw.get("levels", [])))
        )
    model = ModelSettings(
        blocking=tuple(
            _columns(b, "model.blocking", problems) for b in m.get("blocking", [])
        ),
        training=tuple(
            _columns(b, "model.training", problems) for b in m.get("training", [])
        ),
        prior_rules=tuple(
            _columns(b, "model.prior_rules", problems) for b in m.get("prior_rules", [])
        ),
        prior_recall=num(m, "prior_recall", 0.6, "model"),
        u_pairs=int(num(m, "u_pairs", 1_000_000, "model")),
        seed=int(num(m, "seed", 360, "model")),
        comparisons=tuple(comparisons),
        memory_mb=int(num(m, "memory_mb", 800, "model")),
    )
    if model.memory_mb < 100:
        problems.append("model: memory_mb must be at least 100")
    if not model.blocking or not model.comparisons:
        problems.append("model: blocking and at least one [[comparison]] are required")
    cl = data.get("cluster", {})
    surv = data.get("survivorship", {})
    fields = {}
    for name, order in surv.get("fields", {}).items():
        if name not in GOLDEN_FIELDS:
            problems.append(
                f"survivorship: unknown field {name!r} (known: {sorted(GOLDEN_FIELDS)})"
            )
        bad = set(order) - SURVIVORSHIP_RULES
        if bad:
            problems.append(f"survivorship.{name}: unknown rules {sorted(bad)}")
        fields[name] = tuple(order)
    return LinkageSettings(
        version=str(version),
        auto_match=auto,
        review=review,
        max_block=int(num(th, "max_block", 200, "thresholds")),
        rules=tuple(rules),
        model=model,
        exclusive={
            c: int(num(cl.get("exclusive", {}), c, 0, "cluster.exclusive"))
            for c in _columns(cl.get("exclusive", {}), "cluster.exclusive", problems)
        },
        deduplicated_sources=tuple(str(s) for s in cl.get("deduplicated_sources", [])),
        given_name_similarity=num(cl, "given_name_similarity", 0.85, "cluster"),
        max_household=int(num(cl, "max_household", 8, "cluster")),
        co_attendance=flag(cl, "co_attendance", True, "cluster"),
        source_priority=tuple(surv.get("source_priority", [])),
        survivorship=fields,
    )
