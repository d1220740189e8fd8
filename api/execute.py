"""What every resolver shares: the read query runner and the error a client may see."""

from __future__ import annotations

import os
from typing import Any

import neo4j
from neo4j.exceptions import ClientError, ServiceUnavailable, SessionExpired
from strawberry.types import Info

from graph.connection import API_RETRY_SECONDS

# A read that runs longer is cancelled by Neo4j; the request gets a GraphQL error.
QUERY_TIMEOUT_SECONDS = float(os.environ.get("C360_QUERY_TIMEOUT", "10"))


def native(value: Any) -> Any:
    """Neo4j temporal values -> Python ``date``/``datetime`` for the GraphQL scalars."""
    return value.to_native() if hasattr(value, "to_native") else value


class UserError(Exception):
    """An error about the request itself; its message is shown to the client as is."""


async def run_read(info: Info, query: Any, params: dict[str, Any]) -> list[Any]:
    """One read query on the request's driver and database (routed to a reader), cancelled
    by Neo4j after ``context["timeout"]`` seconds (``C360_QUERY_TIMEOUT``, default 10)."""
    driver = info.context["driver"]
    timeout = info.context.get("timeout", QUERY_TIMEOUT_SECONDS)
    try:
        records, _, _ = await driver.execute_query(
            neo4j.Query(query, timeout=timeout),
            params,
            database_=info.context["database"],
            routing_=neo4j.RoutingControl.READ,
        )
    except (ServiceUnavailable, SessionExpired) as exc:
        raise UserError(
            f"Neo4j is unavailable (retried for {API_RETRY_SECONDS:g} s); "
            "try again shortly"
        ) from exc
    except ClientError as exc:
        if "TransactionTimedOut" in (exc.code or ""):
            raise UserError(
                f"the query took longer than {timeout:g} s and was stopped; "
                "ask for less (smaller first, maxDepth or maxHops, a narrower where)"
            ) from exc
        raise
    return list(records)
