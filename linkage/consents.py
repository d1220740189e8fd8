"""Consent statements: which column of a source says what a person agreed to, and when.

An identity source may carry consent checkboxes (a web form's "email me offers"):

    [[source.consent]]
    column = "consent.email_marketing"   # a column, or "column.key" inside a JSON object
    channel = "email"                    # one of the ontology's Consent channels ("any":
    purpose = "marketing"                #   whatever the channel) and purposes
    at = "submitted_at"                  # when it was stated (the source's date format)
    wording = "web-form-2024"            # optional: the version of the text the person saw

true / yes / y / 1 / opt_in and the status "granted" grant; false / no / n / 0 / opt_out and
"denied" deny; "withdrawn" withdraws. A blank value states nothing. Anything else, or a
statement without a time, is quarantined with the reason and the record loads without it.
Each statement is kept (history); for a person the latest one per channel and purpose is
in force (``graph/cypher/consent.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from linkage.records import ConsentClaim, Quarantined, text_or_none
from ontology.model import Ontology

# The record's contact point a channel's statement is about (HAS_CONSENT); statements on
# other channels (post, push, any) hang off the record only.
CONTACT_POINT = {
    "email": "email",
    "newsletter": "email",
    "sms": "phone",
    "phone": "phone",
}
GRANT = {"true", "yes", "y", "1", "opt_in", "opt-in", "granted"}
DENY = {"false", "no", "n", "0", "opt_out", "opt-out", "denied"}


@dataclass(frozen=True)
class ConsentSpec:
    column: str
    channel: str
    purpose: str
    at: str
    wording: str | None = None

    def used_columns(self) -> set[str]:
        return {self.column.split(".", 1)[0], self.at}


def vocabulary(model: Ontology) -> dict[str, tuple[str, ...]]:
    """The ontology's Consent channels, purposes and statuses (its sh:in lists)."""
    node = model.node("Consent")
    out = {}
    for name in ("channel", "purpose", "consentStatus"):
        field = node.field(name)
        out[name] = (field.enum if field else None) or ()
    return out


def parse_specs(
    raw: Any, where: str, model: Ontology, identity: bool
) -> tuple[tuple[ConsentSpec, ...], list[str]]:
    """The ``[[source.consent]]`` entries of one source, checked; every problem listed."""
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        return (), [f"{where}: consent must be an array of tables ([[source.consent]])"]
    if not identity:
        return (), [f"{where}: only an identity source can state consent"]
    allowed = vocabulary(model)
    specs, problems = [], []
    for n, t in enumerate(raw, start=1):
        here = f"{where} consent #{n}"
        if not isinstance(t, dict):
            problems.append(f"{here}: must be a table")
            continue
        errs = [
            f"{here}: {key} (a column name) is required"
            for key in ("column", "at")
            if not isinstance(t.get(key), str) or not t.get(key)
        ]
        for key in ("channel", "purpose"):
            if t.get(key) not in allowed[key]:
                errs.append(
                    f"{here}: {key} must be one of the ontology's "
                    f"({', '.join(allowed[key])}), got {t.get(key)!r}"
                )
        wording = t.get("wording")
        if wording is not None and not isinstance(wording, str):
            errs.append(f"{here}: wording must be text")
        unknown = set(t) - {"column", "channel", "purpose", "at", "wording"}
        if unknown:
            errs.append(f"{here}: unknown keys {sorted(unknown)}")
        problems += errs
        if not errs:
            specs.append(
                ConsentSpec(
                    str(t["column"]),
                    str(t["channel"]),
                    str(t["purpose"]),
                    str(t["at"]),
                    wording,
                )
            )
    return tuple(specs), problems


def key(source: str, source_id: str, claim: ConsentClaim) -> str:
    """The statement's Consent.consentKey: one per record, channel, purpose and time."""
    return "|".join((f"{source}/{source_id}", claim.channel, claim.purpose, claim.at))


def from_row(
    specs: Iterable[ConsentSpec],
    row: Mapping[str, Any],
    at_of: Callable[[str], str | None],
    where: str,
    quarantine: list[Quarantined],
) -> tuple[ConsentClaim, ...]:
    """The statements one row makes (none where its consent columns are blank)."""
    out = []
    for spec in specs:
        try:
            value = _value(row, spec.column)
        except ValueError as exc:
            quarantine.append(Quarantined(where, str(exc), "", spec.column))
            continue
        if value is None:
            continue
        status = _status(value)
        if status is None:
            quarantine.append(
                Quarantined(
                    where,
                    "not a consent value (true/false, yes/no, granted/denied/withdrawn)",
                    value[:200],
                    spec.column,
                )
            )
            continue
        raw_at = text_or_none(row.get(spec.at))
        at = at_of(raw_at) if raw_at else None
        if at is None:
            if raw_at is None:
                quarantine.append(
                    Quarantined(
                        where, "consent statement without a time", value, spec.column
                    )
                )
            continue  # an unparsable time was quarantined by at_of
        out.append(ConsentClaim(spec.channel, spec.purpose, status, at, spec.wording))
    return tuple(out)


def _value(row: Mapping[str, Any], column: str) -> str | None:
    """A flat column, or ``column.key`` inside a JSON object column.

    Raises ``ValueError`` when the column that should hold the object holds something else.
    """
    if column in row or "." not in column:
        value = row.get(column)
    else:
        head, key = column.split(".", 1)
        inner = row.get(head)
        if inner is not None and not isinstance(inner, dict):
            raise ValueError(f"{head} is not an object: {str(inner)[:100]}")
        value = inner.get(key) if inner else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return text_or_none(value)


def _status(value: str) -> str | None:
    word = value.strip().lower()
    if word in GRANT:
        return "granted"
    if word in DENY:
        return "denied"
    if word == "withdrawn":
        return "withdrawn"
    return None
