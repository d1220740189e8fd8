"""Which root fields each role may call, checked before any resolver runs.

Derived root fields (one lookup and one list per ontology class) are open to every role
that reads the class (``graph.scope``); the compiler then scopes their Cypher. The domain
fields are listed here with the roles that may call them: a field not listed is for admin
and privacy-officer only, so a new query is closed until someone decides who needs it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import neo4j
from strawberry.extensions import SchemaExtension

from api.execute import UserError
from graph import privacy
from graph.cypher.privacy import AUDIT_MANY
from graph.scope import ADMIN, PRIVILEGED, Role, Scope
from linkage.tombstones import privacy_key

log = logging.getLogger("c360.api")
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


# Arguments that name the customer a root field reads (``customer(id)``, ``person(id)``,
# ``referralChain(customerId)`` ...): the subject of a privileged read's audit entry.
_CUSTOMER_ARGS = {"customerId"}
_CUSTOMER_ID_FIELDS = {"customer", "person"}
_READS = "c360.reads"  # context key: the root fields a privileged caller read


class RoleGuard(SchemaExtension):
    """Refuse a root field the caller's role may not call, with a GraphQL error; audit
    every query an authenticated admin or privacy-officer makes (a privileged read: they
    see all personal data in clear)."""

    derived: frozenset[str] = frozenset()  # root fields generated from the ontology

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if info.parent_type.name in ("Query", "Mutation"):
            scope = scope_of(info)
            check(scope, info.field_name, kwargs, self.derived)
            given = info.context.get("scope")
            if (
                info.parent_type.name == "Query"
                and isinstance(given, Scope)
                and given.privileged
                and not info.field_name.startswith("__")
            ):
                named = [
                    str(v)
                    for k, v in kwargs.items()
                    if k in _CUSTOMER_ARGS
                    or (k == "id" and info.field_name in _CUSTOMER_ID_FIELDS)
                ]
                info.context.setdefault(_READS, []).append((info.field_name, named))
        return _next(root, info, *args, **kwargs)

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        reads = context.pop(_READS, None) if isinstance(context, dict) else None
        if reads:
            try:
                await _audit_reads(context, reads)
            except Exception as exc:  # an unaudited privileged read is not answered
                log.exception("a privileged read could not be audited")
                raise UserError(  # strawberry answers data null with this error
                    "the read could not be written to the audit trail, so it is not "
                    "answered; try again shortly"
                ) from exc


async def _audit_reads(context: dict[str, Any], reads: list[Any]) -> None:
    """Write the audit entries of one privileged read (before the answer goes out)."""
    scope: Scope = context["scope"]
    entries = privacy.read_entries(
        context.get("privacy_key") or privacy_key(),
        f"api:{scope.name}",
        [field for field, _ in reads],
        [who for _, named in reads for who in named],
    )
    await context["driver"].execute_query(
        AUDIT_MANY,
        {"entries": entries},
        database_=context["database"],
        routing_=neo4j.RoutingControl.WRITE,
    )


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
