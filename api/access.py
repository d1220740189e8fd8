"""Which root fields each role may call, checked before any resolver runs.

Derived root fields (one lookup and one list per ontology class) are open to every role
that reads the class (``graph.scope``); the compiler then scopes their Cypher. The domain
fields are listed here with the roles that may call them: a field not listed is for admin
and privacy-officer only, so a new query is closed until someone decides who needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension

from api.execute import UserError
from graph.scope import ADMIN, PRIVILEGED, Role, Scope

_ALL = frozenset(Role)
_INSIGHT = PRIVILEGED | {Role.ANALYST, Role.MARKETING}  # aggregates, no one person

# Domain root field -> roles that may call it. Lookups by personal data are no use to a
# pseudonymised analyst (they would re-identify); paths and trees cross every scope.
DOMAIN: dict[str, frozenset[Role]] = {
    "customer": _ALL,
    "customerBySourceRecord": _ALL,
    "customersByEmail": _ALL - {Role.ANALYST},
    "customersByPhone": _ALL - {Role.ANALYST},
    "searchCustomers": _ALL - {Role.ANALYST},
    "npsSummary": _INSIGHT,
    "journeyPaths": _INSIGHT,
    "funnel": _INSIGHT,
    "dealerKpis": _INSIGHT | {Role.DEALER},  # a dealer: its own code only
    "clubKpis": _INSIGHT | {Role.CLUB},  # a club: its own code only
    "sleeperLeads": PRIVILEGED | {Role.ANALYST},
    "referralChain": PRIVILEGED | {Role.ANALYST},
    "referralTree": PRIVILEGED | {Role.ANALYST},
    "segmentMembers": PRIVILEGED | {Role.ANALYST},
    "segmentMembership": PRIVILEGED | {Role.ANALYST},
    "consentInForce": PRIVILEGED | {Role.MARKETING},
    "audience": PRIVILEGED | {Role.MARKETING},
    # Mutations: the rights of access and erasure are the privacy officer's alone.
    "exportCustomer": frozenset({Role.PRIVACY_OFFICER}),
    "eraseCustomer": frozenset({Role.PRIVACY_OFFICER}),
}
MUTATIONS = frozenset({"exportCustomer", "eraseCustomer"})
# Root fields whose ``code`` argument a dealer or club scope must match.
_OWN_CODE = {"dealerKpis": Role.DEALER, "clubKpis": Role.CLUB}


def scope_of(info: Any) -> Scope:
    """The caller's scope (admin when the API runs without keys)."""
    scope = info.context.get("scope")
    return scope if isinstance(scope, Scope) else ADMIN


def mask_of(info: Any) -> Callable[[Any], Any]:
    """How this request shows a personal-data value its role may not read in clear."""
    mask = info.context.get("pseudonymise")
    return mask if callable(mask) else _null


def _null(_: Any) -> None:
    return None


class RoleGuard(SchemaExtension):
    """Refuse a root field the caller's role may not call, with a GraphQL error."""

    derived: frozenset[str] = frozenset()  # root fields generated from the ontology

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if info.parent_type.name in ("Query", "Mutation"):
            check(scope_of(info), info.field_name, kwargs, self.derived)
        return _next(root, info, *args, **kwargs)


def check(
    scope: Scope, field: str, args: dict[str, Any], derived: frozenset[str]
) -> None:
    if field in MUTATIONS:
        if scope.role not in DOMAIN[field]:
            raise UserError(f"the {scope.role} role may not call {field}")
        return
    if field.startswith("__") or field in derived or scope.privileged:
        return  # derived fields: the compiler refuses the classes the role never reads
    if scope.role not in DOMAIN.get(field, PRIVILEGED):
        raise UserError(f"the {scope.role} role may not query {field}")
    own = _OWN_CODE.get(field)
    if own is scope.role and args.get("code") != (scope.dealer or scope.club):
        raise UserError(
            f"the {scope.role} role may query {field} for its own code only"
        )


def guard(derived: frozenset[str]) -> type[RoleGuard]:
    """A RoleGuard that knows the schema's derived root fields."""
    return type("SchemaRoleGuard", (RoleGuard,), {"derived": derived})
