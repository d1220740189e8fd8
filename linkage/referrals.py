"""Referrals: who brought whom, declared in the sources file and checked against the graph.

A source may say that a row names a referrer (a web form's "referred by", a club
registration's sponsor, a voucher's first holder):

    [[source.referral]]
    mechanism = "declared"              # one of the ontology's Referral mechanisms
    at = "submitted_at"                 # when (the source's date format)
    referrer = { contact = "referred_by" }   # person links, as for touchpoints
    referee = "self"

Rows whose referrer column is blank simply name no referral. After resolution each
mention becomes a ``REFERRED`` edge between two customers unless it cannot be one, and
then it is quarantined with the reason: a person not found, a self-referral, a hop later
than the referee's first lead (domain brief §5), a second referrer for the same person
(the earliest wins), or a cycle. A mention that found no person is also held, as read
(``to_json``), for a later change that gives it one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from linkage.records import Quarantined
from linkage.touchpoints import Directory, Owner, PersonLink, person_link
from ontology.model import Ontology

REFERRAL_EDGE = "REFERRED"


@dataclass(frozen=True)
class ReferralSpec:
    mechanism: str
    at: str
    referrer: PersonLink
    referee: PersonLink

    def used_columns(self) -> set[str]:
        return {self.at, *self.referrer.columns, *self.referee.columns}


@dataclass(frozen=True)
class Mention:
    mechanism: str
    at: str  # ISO 8601 date-time
    referrer: Owner
    referee: Owner
    evidence: str  # source/sourceId of the row that says so


@dataclass(frozen=True)
class Referral:
    referrer: str  # person ids
    referee: str
    mechanism: str
    at: str
    evidence: str


@dataclass
class Linked:
    referrals: list[Referral] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    # The graph's referrals an earlier mention took the place of (an incremental run).
    displaced: list[Referral] = field(default_factory=list)
    # Mentions that found no person, with why (also quarantined): to be held.
    held: list[tuple[Mention, str]] = field(default_factory=list)


def mechanisms(model: Ontology) -> tuple[str, ...]:
    rel = model.relationship_by_type(REFERRAL_EDGE)
    prop = (
        next((f for f in rel.properties if f.name == "mechanism"), None)
        if rel
        else None
    )
    return prop.enum or () if prop else ()


def parse_specs(
    raw: Any, where: str, model: Ontology, identity: bool, sources: set[str]
) -> tuple[tuple[ReferralSpec, ...], list[str]]:
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        return (), [
            f"{where}: referral must be an array of tables ([[source.referral]])"
        ]
    allowed = mechanisms(model)
    specs, problems = [], []
    for n, t in enumerate(raw, start=1):
        here = f"{where} referral #{n}"
        if not isinstance(t, dict):
            problems.append(f"{here}: must be a table")
            continue
        errs: list[str] = []
        if t.get("mechanism") not in allowed:
            errs.append(
                f"{here}: mechanism must be one of the ontology's ({', '.join(allowed)}), "
                f"got {t.get('mechanism')!r}"
            )
        if not isinstance(t.get("at"), str) or not t.get("at"):
            errs.append(f"{here}: at (the time column) is required")
        referrer = person_link(
            t.get("referrer"), f"{here} referrer", identity, sources, errs
        )
        referee = person_link(
            t.get("referee"), f"{here} referee", identity, sources, errs
        )
        problems += errs
        if not errs:
            specs.append(
                ReferralSpec(str(t["mechanism"]), str(t["at"]), referrer, referee)
            )
    return tuple(specs), problems


def from_row(
    specs: Iterable[ReferralSpec],
    source: str,
    source_id: str | None,
    row: Mapping[str, Any],
    at_of: Any,
    where: str,
) -> list[Mention]:
    """The referrals a row names (none when its referrer columns are blank)."""
    if source_id is None:
        return []
    out = []
    for spec in specs:
        referrer = spec.referrer.owner(source, source_id, row)
        referee = spec.referee.owner(source, source_id, row)
        raw_at = row.get(spec.at)
        if referrer is None or referee is None or not raw_at:
            continue
        at = at_of(str(raw_at).strip())
        if at is not None:
            out.append(
                Mention(spec.mechanism, at, referrer, referee, f"{source}/{source_id}")
            )
    return out


def link(
    mentions: Iterable[Mention],
    directory: Directory,
    first_lead: Mapping[str, str],
    known: Mapping[str, Referral] | None = None,
) -> Linked:
    """Mentions -> at most one referrer per person, no cycles, each hop before the
    referee's first lead (``first_lead``: person id -> ISO time). Earliest mention first.
    ``known`` (referee -> its referral) holds the referrals already in the graph around
    these persons, for an incremental run: a mention earlier than the one a referral rests
    on comes first, as a batch run of everything would take them. So it takes the place of
    the referee's later referral, and of a later referral it would close a cycle with (a
    batch run refuses the hop that closes a cycle: the latest); both are
    ``Linked.displaced``, and quarantined with the reason a batch run would give."""
    out = Linked()
    graph = dict(known or {})
    referred = dict(graph)  # referee -> its referral, as the mentions so far leave it
    settled: set[str] = set()  # referees a mention of this run gave their referrer
    for m in sorted(mentions, key=lambda m: (m.at, m.evidence)):
        a, why_a = directory.find(m.referrer, m.at[:10])
        b, why_b = directory.find(m.referee, m.at[:10])
        held = graph.get(b) if b else None
        cycle = _path_up(referred, a, b) if a and b else None
        latest = max(cycle, key=_order) if cycle else None  # the hop a batch refuses
        reason = None
        if a is None or b is None:
            reason = f"referrer: {why_a}" if a is None else f"referee: {why_b}"
        elif a == b:
            reason = "referrer and referee are the same customer"
        elif b in first_lead and first_lead[b] < m.at:
            reason = f"after the referee's first lead ({first_lead[b]})"
        elif b in settled:
            reason = "the referee was referred earlier by someone else"
        elif held is not None and _order(held) <= _order(m):
            reason = (
                "the graph has this referral already"
                if held.referrer == a
                else "the referee was referred earlier by someone else (in the graph)"
            )
        elif latest is not None and _order(latest) < _order(m):
            reason = "would close a referral cycle"
        if reason or a is None or b is None:
            out.quarantined.append(_refused(m, reason or ""))
            if a is None or b is None:
                out.held.append((m, reason or ""))
            continue
        if latest is not None:  # a later referral of the graph closes it: that one goes
            out.displaced.append(latest)
            out.quarantined.append(_refused(latest, "would close a referral cycle"))
            del referred[latest.referee], graph[latest.referee]
        if held is not None and held.referrer != a:
            out.displaced.append(held)
            out.quarantined.append(
                _refused(held, "the referee was referred earlier by someone else")
            )
        referred[b] = Referral(a, b, m.mechanism, m.at, m.evidence)
        settled.add(b)
        out.referrals.append(referred[b])
    return out


def recheck(hops: Iterable[Referral], first_lead: str | None) -> Linked:
    """The graph's referrals into one referee (``hops``) that a batch run would refuse
    now, ``Linked.displaced`` and quarantined with why: every hop later than the
    referee's first buying signal (``first_lead``, ISO time), and every one after the
    earliest (one referrer a person). A change can leave such hops: a merge hands two
    referees' referrals to one person, a touchpoint gives a referee an earlier signal."""
    out = Linked()
    for i, hop in enumerate(sorted(hops, key=_order)):
        if first_lead is not None and first_lead < hop.at:
            reason = f"after the referee's first lead ({first_lead})"
        elif i:
            reason = "the referee was referred earlier by someone else"
        else:
            continue
        out.displaced.append(hop)
        out.quarantined.append(_refused(hop, reason))
    return out


def _order(hop: Mention | Referral) -> tuple[str, str]:
    """The order a batch run takes mentions in: by time, then by the row's ID."""
    return hop.at, hop.evidence


def _refused(hop: Mention | Referral, reason: str) -> Quarantined:
    """A mention not linked (or a graph's referral taken out), and why."""
    who = " ".join(hop.referrer.value) if isinstance(hop, Mention) else hop.referrer
    return Quarantined(hop.evidence, f"referral ({hop.mechanism}): {reason}", who)


def _path_up(
    referred: Mapping[str, Referral], start: str, target: str
) -> list[Referral] | None:
    """The referrals walked up from ``start`` through its referrers until ``target``
    (so a hop start -> target, start referring target, would close a cycle); None if the
    walk never meets it."""
    seen, node, path = set(), start, []
    while node in referred and node not in seen:
        seen.add(node)
        hop = referred[node]
        path.append(hop)
        node = hop.referrer
        if node == target:
            return path
    return None


def to_json(m: Mention) -> str:
    """``m`` as the text a held referral keeps (``from_json`` reads it back)."""
    return json.dumps(
        {
            "mechanism": m.mechanism,
            "at": m.at,
            "referrer": [m.referrer.kind, *m.referrer.value],
            "referee": [m.referee.kind, *m.referee.value],
            "evidence": m.evidence,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def from_json(text: str) -> Mention:
    """The mention ``to_json`` wrote."""
    d = json.loads(text)
    (a, *av), (b, *bv) = d["referrer"], d["referee"]
    return Mention(
        d["mechanism"], d["at"], Owner(a, tuple(av)), Owner(b, tuple(bv)), d["evidence"]
    )
