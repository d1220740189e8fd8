"""Referral queries: the chain up to a customer's root referrer, and the tree below them.

One query finds the hops; one more per selected side (referrer, referee) projects the
customers the request asked for, however many hops there are: at most three queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from api.access import scope_of
from api.execute import UserError, native, run_read
from graph import compile as cq
from graph.cypher import referrals as cypher
from ontology.graphql import GqlSchema

MAX_NODES = 500

PEOPLE_MATCH = "UNWIND $ids AS wanted MATCH (n:Person {id: wanted})"
KEY = "__id"  # each projected customer's id, to put it in its hops


def referral_queries(gql: GqlSchema, person: type, selection: Any) -> dict[str, Any]:
    """The ``referralChain`` and ``referralTree`` root fields (``selection`` turns a
    strawberry field into a ``graph.compile.Selection``)."""

    @strawberry.type(
        name="ReferralHop",
        description="One referral: who brought whom, how and when, and how far from the "
        "customer asked about.",
    )
    class ReferralHop:
        referrer: Any = strawberry.field(graphql_type=person | None, default=None)
        referee: Any = strawberry.field(graphql_type=person | None, default=None)
        depth: int = 0
        mechanism: str = ""
        at: dt.datetime | None = None
        evidence: str | None = None
        converted: bool | None = strawberry.field(
            default=None,
            description="Whether the referee ordered a vehicle (referral trees only).",
        )

    async def hops(info: Info, query: Any, params: dict[str, Any]) -> list[ReferralHop]:
        rows = await run_read(info, query, params)
        root = cast(SelectedField, info.selected_fields[0])
        sides: dict[str, dict[str, Any]] = {}
        for side in ("referrer", "referee"):
            sel = next(
                (s for s in root.selections if getattr(s, "name", "") == side), None
            )
            if isinstance(sel, SelectedField):
                ids = sorted({r[side] for r in rows})
                children = (*selection(sel).children, cq.Selection("id", KEY))
                text, p = cq.compile_nodes(
                    gql, "Person", PEOPLE_MATCH, children, {"ids": ids}, scope_of(info)
                )
                found = await run_read(info, text, p)
                sides[side] = {n["node"][KEY]: dict(n["node"]) for n in found}
        return [
            ReferralHop(
                referrer=sides.get("referrer", {}).get(r["referrer"]),
                referee=sides.get("referee", {}).get(r["referee"]),
                depth=r["depth"],
                mechanism=r["mechanism"],
                at=native(r["at"]),
                evidence=r["evidence"],
                converted=r.get("converted"),
            )
            for r in rows
        ]

    async def referral_chain(
        info: Info, customer_id: strawberry.ID
    ) -> list[ReferralHop]:
        return await hops(info, cypher.CHAIN, {"id": str(customer_id)})

    async def referral_tree(
        info: Info, customer_id: strawberry.ID, max_depth: int = 3, max_nodes: int = 100
    ) -> list[ReferralHop]:
        if not 1 <= max_depth <= cypher.MAX_DEPTH:
            raise UserError(f"maxDepth must be between 1 and {cypher.MAX_DEPTH}")
        if not 1 <= max_nodes <= MAX_NODES:
            raise UserError(f"maxNodes must be between 1 and {MAX_NODES}")
        return await hops(
            info,
            cypher.TREE,
            {"id": str(customer_id), "maxDepth": max_depth, "maxNodes": max_nodes},
        )

    return {
        "referralChain": strawberry.field(
            name="referralChain",
            resolver=referral_chain,
            graphql_type=list[ReferralHop],
            description="The referrals that led to this customer, from their referrer up "
            "to the root (depth 1 is the customer's own referrer); [] if nobody referred them.",
        ),
        "referralTree": strawberry.field(
            name="referralTree",
            resolver=referral_tree,
            graphql_type=list[ReferralHop],
            description="The customers this customer brought in, and whom those brought, "
            "breadth first, within maxDepth (<= 6) and maxNodes (<= 500).",
        ),
    }
