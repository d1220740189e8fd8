"""Every API read runs with a Neo4j transaction timeout; a timed-out read is a clear error."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from api.execute import UserError, run_read
from graph.connection import Neo4jSettings, async_driver

SLOW = "UNWIND range(1, 500000000) AS x WITH x WHERE x % 7 = 0 RETURN count(*) AS n"


def _read(settings: Neo4jSettings, query: str, timeout: float) -> Any:
    async def run() -> Any:
        driver = async_driver(settings)
        try:
            info: Any = SimpleNamespace(
                context={
                    "driver": driver,
                    "database": settings.database,
                    "timeout": timeout,
                }
            )
            return await run_read(info, query, {})
        finally:
            await driver.close()

    return asyncio.run(run())


@pytest.mark.neo4j
def test_a_slow_read_is_stopped_with_a_clear_message(
    neo4j_settings: Neo4jSettings,
) -> None:
    with pytest.raises(UserError, match=r"took longer than 0.5 s and was stopped"):
        _read(neo4j_settings, SLOW, 0.5)
    assert _read(neo4j_settings, "RETURN 1 AS n", 0.5)[0]["n"] == 1
