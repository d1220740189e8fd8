"""Who may read what: a role's scope as Cypher predicates, for ``graph.compile`` to AND in.

The API authenticates a caller to a ``Scope`` (``api.auth``); every query the compiler
builds then matches only the nodes that scope may see, at the root and at every nested
level, so nothing outside it is ever fetched. What "may see" means comes from the ontology:

- ``Person``: the role's predicate below (a dealer's customers, a club's members, the
  people who consented to marketing, or everyone);
- a ``c360:personal`` class (source records, contact points, consent, touchpoints,
  households): nodes from which the shortest path of the ontology's relationships
  reaches a visible person;
- a ``c360:restricted`` class (audit trail, tombstones, link decisions, blocking keys):
  admin and privacy-officer only;
- anything else (dealers, clubs, events, models): everyone.

Personal-data fields (``c360:pii``) are shown in clear only to a role whose purpose is in
the field's ``c360:allowedPurpose``; the API pseudonymises the others (``api.auth``).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from ontology.graphql import GqlSchema, GqlType


class Role(enum.StrEnum):
    ADMIN = "admin"
    PRIVACY_OFFICER = "privacy-officer"
    ANALYST = "analyst"
    MARKETING = "marketing"
    DEALER = "dealer"
    CLUB = "club"


# The processing purpose each role reads personal data for (ontology c360:allowedPurpose
# labels); None: every field in clear.
PURPOSE: dict[Role, str | None] = {
    Role.ADMIN: None,
    Role.PRIVACY_OFFICER: None,
    Role.ANALYST: "analytics",
    Role.MARKETING: "marketing",
    Role.DEALER: "relationship",
    Role.CLUB: "events",
}
PRIVILEGED = frozenset({Role.ADMIN, Role.PRIVACY_OFFICER})
# Classes a role never reads, beyond the restricted ones: marketing gets no raw records.
HIDDEN: dict[Role, frozenset[str]] = {Role.MARKETING: frozenset({"SourceRecord"})}

# A person with a marketing statement on some channel whose latest statement (that
# channel or 'any'; a refusal wins a tie) is a grant: graph.cypher.consent, per channel.
_MARKETING = (
    "EXISTS {{ MATCH ({v})<-[:RESOLVED_TO]-(:SourceRecord)-[:STATED_CONSENT]->(scope_s:Consent) "
    "WHERE scope_s.purpose = 'marketing' WITH DISTINCT scope_s.channel AS scope_ch "
    "WHERE COLLECT {{ MATCH ({v})<-[:RESOLVED_TO]-(:SourceRecord)-[:STATED_CONSENT]->(scope_c:Consent) "
    "WHERE scope_c.purpose = 'marketing' AND scope_c.channel IN [scope_ch, 'any'] "
    "WITH scope_c ORDER BY scope_c.at DESC, scope_c.consentStatus = 'granted' LIMIT 1 "
    "RETURN scope_c.consentStatus }} = ['granted'] }}"
)
# A dealer's customers: they prefer it, it recruited them, or they had a touchpoint there.
_DEALER = (
    "(EXISTS {{ ({v})-[:PREFERS_DEALER]->(:Dealer {{code: $scopeDealer}}) }} "
    "OR EXISTS {{ ({v})<-[:RECRUITED]-(:Dealer {{code: $scopeDealer}}) }} "
    "OR EXISTS {{ ({v})-[:HAD]->()-[:AT_DEALER]->(:Dealer {{code: $scopeDealer}}) }})"
)
# A club's current members.
_CLUB = (
    "EXISTS {{ MATCH ({v})-[scope_m:MEMBER_OF]->(:Club {{code: $scopeClub}}) "
    "WHERE scope_m.until IS NULL OR scope_m.until > date() }}"
)


class ScopeError(Exception):
    """The caller's role may not read this; the message is shown to the client."""


@dataclass(frozen=True)
class Scope:
    """A caller's role and, for dealer and club, which dealer or club (its code)."""

    role: Role
    dealer: str | None = None
    club: str | None = None
    name: str = ""  # the API key's name, for the audit trail

    def __post_init__(self) -> None:
        if (self.role is Role.DEALER) != (self.dealer is not None):
            raise ValueError("a dealer scope needs a dealer code, and only it has one")
        if (self.role is Role.CLUB) != (self.club is not None):
            raise ValueError("a club scope needs a club code, and only it has one")

    @property
    def privileged(self) -> bool:
        return self.role in PRIVILEGED

    @property
    def params(self) -> dict[str, str]:
        """The parameters the predicates use (merged into every scoped query's)."""
        out = {}
        if self.dealer is not None:
            out["scopeDealer"] = self.dealer
        if self.club is not None:
            out["scopeClub"] = self.club
        return out

    def shows(self, purposes: tuple[str, ...]) -> bool:
        """Whether a personal-data field with these allowed purposes is shown in clear."""
        purpose = PURPOSE[self.role]
        return purpose is None or purpose in purposes

    def readable(self, type_: GqlType) -> bool:
        """Whether the role reads nodes of this type at all."""
        if type_.restricted and not self.privileged:
            return False
        hidden = HIDDEN.get(self.role, frozenset())
        return type_.name not in hidden and not hidden & set(type_.implements)

    def person(self, var: str) -> str | None:
        """The predicate on a Person variable, or None when the role sees every person."""
        if self.role is Role.DEALER:
            return _DEALER.format(v=var)
        if self.role is Role.CLUB:
            return _CLUB.format(v=var)
        if self.role is Role.MARKETING:
            return _MARKETING.format(v=var)
        return None

    def predicate(
        self, schema: GqlSchema, type_: GqlType, var: str, who: str = "scope_p"
    ) -> str | None:
        """What a node ``var`` of ``type_`` must satisfy to be read, or None (no condition);
        ``who`` names the person variable of the path (fresh per use)."""
        if not self.readable(type_):
            return "false"
        if type_.name == "Person":
            return self.person(var)
        if not type_.personal:
            return None
        test = self.person(who)
        if test is None:
            return None
        path = person_path(schema, type_.name)
        return f"EXISTS {{ MATCH ({var}){path}({who}:Person) WHERE {test} }}"


ADMIN = Scope(Role.ADMIN, name="open")


_PATHS: dict[int, tuple[GqlSchema, dict[str, str]]] = {}


def person_path(schema: GqlSchema, type_name: str) -> str:
    """The relationship pattern from a node of ``type_name`` to the person it is about: the
    shortest path over the ontology's relationships (either direction), e.g. an Email's
    ``<-[:HAS_CONTACT_POINT]-(:SourceRecord)-[:RESOLVED_TO]->``. Found once per schema."""
    _, paths = _PATHS.setdefault(id(schema), (schema, {}))
    if type_name not in paths:
        paths[type_name] = _shortest(schema, type_name)
    return paths[type_name]


def _shortest(schema: GqlSchema, type_name: str) -> str:
    edges: dict[str, list[tuple[str, str]]] = {}
    for t in schema.types.values():
        if t.label is None:
            continue
        for r in t.relations:
            out, back = (">", "<") if r.direction == "out" else ("<", ">")
            edges.setdefault(t.name, []).append((_step(r.rel_type, out), r.node_type))
            edges.setdefault(r.node_type, []).append((_step(r.rel_type, back), t.name))
    start = schema.type(type_name)
    queue = deque((name, "") for name in (start.name, *start.implements))
    seen = {name for name, _ in queue}
    while queue:
        name, path = queue.popleft()
        for step, other in edges.get(name, []):
            if other == "Person":
                return path + step
            if other not in seen and path.count("(") < 3:
                seen.add(other)
                label = schema.type(other).label or other
                queue.append((other, f"{path}{step}(:`{label}`)"))
    raise ValueError(f"{type_name} is personal but no relationship leads to a Person")


def _step(rel_type: str, arrow: str) -> str:
    return f"-[:`{rel_type}`]->" if arrow == ">" else f"<-[:`{rel_type}`]-"


__all__ = ["ADMIN", "Role", "Scope", "ScopeError", "person_path"]
