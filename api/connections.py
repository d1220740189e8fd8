"""``connection(a, b, maxHops)``: how two customers are connected (one Cypher query)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.execute import UserError, run_read
from graph.cypher import connections as cypher


@strawberry.type(description="One node on a connection path.")
class PathNode:
    kind: str = strawberry.field(
        description="Person, Club, Dealer, Event or EventAttendance."
    )
    key: str = strawberry.field(
        description="Customer ID, club or dealer code, event ID, or the attendance's "
        "source ID."
    )
    name: str | None


@strawberry.type(
    description="The shortest path between two customers over referrals, clubs, "
    "preferred dealers and events attended (a shared club or dealer is two hops, a shared "
    "event four: attendance is a touchpoint between customer and event)."
)
class ConnectionPath:
    hops: int
    nodes: list[PathNode]
    relationships: list[str]


async def connection(
    info: Info, a: strawberry.ID, b: strawberry.ID, max_hops: int = cypher.MAX_HOPS
) -> ConnectionPath | None:
    """The shortest connection between customers ``a`` and ``b`` within ``maxHops``
    relationships, or null when there is none (or either ID is unknown)."""
    if not 1 <= max_hops <= cypher.MAX_HOPS:
        raise UserError(f"maxHops must be between 1 and {cypher.MAX_HOPS}")
    if a == b:
        raise UserError("a and b must be two different customers")
    rows = await run_read(
        info, cypher.CONNECTION, {"a": str(a), "b": str(b), "maxHops": max_hops}
    )
    if not rows:
        return None
    r = rows[0]
    return ConnectionPath(
        hops=r["hops"],
        nodes=[
            PathNode(kind=n["kind"], key=str(n["key"]), name=n["name"])
            for n in r["nodes"]
        ],
        relationships=list(r["relationships"]),
    )


def connection_queries() -> dict[str, Any]:
    return {
        "connection": strawberry.field(
            name="connection",
            resolver=connection,
            description="How two customers are connected: the shortest path over "
            "referrals, clubs, preferred dealers and events, at most maxHops (<= 6) "
            "relationships long; null when there is none.",
        )
    }
