"""The privacy officer's GraphQL mutations: right of access and erasure, audited.

They run the same transactions as ``c360 privacy export|erase`` (``graph.privacy``); the
audit entry's actor is the caller's API key name. Only the privacy-officer role may call
them (``api.access``), so an API running open (no keys) offers them to nobody.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import neo4j
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.access import scope_of
from api.execute import UserError
from graph import privacy
from graph.privacy import UnknownCustomer
from linkage.tombstones import privacy_key

MIN_REASON, MAX_TEXT = 3, 500


@strawberry.type(
    description="What one erasure removed (counts only) and its audit entry."
)
class ErasureResult:
    customer_id: strawberry.ID
    audit_id: str
    tombstones: int = strawberry.field(
        description="Keyed hashes left so that a later import of the records is suppressed"
    )
    removed: JSON = strawberry.field(description="How many of each kind were removed")


def _checked(customer_id: str, reason: str) -> None:
    if not 1 <= len(customer_id) <= MAX_TEXT:
        raise UserError("id must be 1 to 500 characters")
    if not MIN_REASON <= len(reason.strip()) <= MAX_TEXT:
        raise UserError("reason must be 3 to 500 characters (kept in the audit trail)")


async def _run(info: Info, fn: Any, customer_id: str, reason: str) -> Any:
    """``fn`` (a ``graph.privacy`` transaction) on the request's write driver, in a thread."""
    _checked(customer_id, reason)
    writer: neo4j.Driver = info.context["writer"]()
    actor = f"api:{scope_of(info).name}"
    try:
        return await asyncio.to_thread(
            fn,
            writer,
            info.context["database"],
            customer_id,
            privacy_key(),
            actor,
            reason.strip(),
        )
    except UnknownCustomer as exc:
        raise UserError(str(exc)) from exc


async def export_customer(info: Info, id: strawberry.ID, reason: str) -> JSON:
    """Everything held about the customer as JSON (right of access); audited."""
    return cast(JSON, await _run(info, privacy.export, str(id), reason))


async def erase_customer(info: Info, id: strawberry.ID, reason: str) -> ErasureResult:
    """Erase the customer's whole identity cluster, leaving tombstones; audited."""
    done: privacy.Erasure = await _run(info, privacy.erase, str(id), reason)
    return ErasureResult(
        customer_id=id,
        audit_id=done.audit_id,
        tombstones=done.tombstones,
        removed=cast(JSON, done.removed),
    )


def privacy_mutations() -> dict[str, Any]:
    return {
        "exportCustomer": strawberry.mutation(
            name="exportCustomer",
            resolver=export_customer,
            description="Right of access: everything held about a customer, as JSON; "
            "writes an audit entry (privacy-officer role).",
        ),
        "eraseCustomer": strawberry.mutation(
            name="eraseCustomer",
            resolver=erase_customer,
            description="Right to erasure: removes the customer across its identity "
            "cluster; later imports of its records are suppressed; audited "
            "(privacy-officer role).",
        ),
    }
