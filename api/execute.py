"""What every resolver shares: the read query runner and the error a client may see."""

from __future__ import annotations

from typing import Any

import neo4j
from strawberry.types import Info


class UserError(Exception):
    """An error about the request itself; its message is shown to the client as is."""


async def run_read(info: Info, query: Any, params: dict[str, Any]) -> list[Any]:
    """One read query on the request's driver and database (routed to a reader)."""
    driver = info.context["driver"]
    records, _, _ = await driver.execute_query(
        query,
        params,
        database_=info.context["database"],
        routing_=neo4j.RoutingControl.READ,
    )
    return list(records)
