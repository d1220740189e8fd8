"""Admission: GraphQL requests run a few at a time in arrival order; past the in-flight
limit a request gets 503 with Retry-After at once, the requests in flight finish normally,
health checks pass, and capacity comes back as soon as requests finish. The downstream app
here holds each request until released, so the overlap is exact rather than a matter of
timing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from api.limit import RETRY_AFTER_SECONDS, InFlightLimit


def test_requests_over_the_limit_are_shed_with_retry_after() -> None:
    release = asyncio.Event()

    async def held(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/graphql":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    app = InFlightLimit(held, limit=2, concurrency=2)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c360") as c:
            first = [asyncio.create_task(c.post("/graphql", json={})) for _ in range(2)]
            for _ in range(200):  # until both are inside
                if app.in_flight == 2:
                    break
                await asyncio.sleep(0.01)
            assert app.in_flight == 2
            busy = await asyncio.wait_for(c.post("/graphql", json={}), timeout=5)
            assert busy.status_code == 503
            assert busy.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
            assert busy.json()["errors"][0]["message"].startswith(
                "the service is at capacity (2 requests in flight)"
            )
            assert (await c.get("/health")).status_code == 200  # never shed
            release.set()
            assert [r.status_code for r in await asyncio.gather(*first)] == [200, 200]
            assert app.in_flight == 0
            assert (await c.post("/graphql", json={})).status_code == 200

    asyncio.run(scenario())


def test_requests_beyond_the_concurrency_wait_and_run_in_arrival_order() -> None:
    gates: list[asyncio.Event] = []
    started: list[int] = []

    async def held(scope: Scope, receive: Receive, send: Send) -> None:
        gate = asyncio.Event()
        gates.append(gate)
        started.append(int(scope["query_string"] or b"0"))
        await gate.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    app = InFlightLimit(held, limit=10, concurrency=2)

    async def settle() -> None:
        for _ in range(20):
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c360") as c:
            sent = []
            for n in range(6):  # one at a time, so the arrival order is known
                sent.append(asyncio.create_task(c.post(f"/graphql?{n}", json={})))
                await settle()
            assert started == [0, 1] and app.running == 2 and app.in_flight == 6
            gates[1].set()  # the second finishes first: the next in line takes its turn
            await settle()
            assert started == [0, 1, 2] and app.running == 2
            for n in (0, 2, 3, 4, 5):  # each one done lets the next in line in
                gates[n].set()
                await settle()
                assert app.running <= 2
            assert [r.status_code for r in await asyncio.gather(*sent)] == [200] * 6
            assert started == [0, 1, 2, 3, 4, 5]
            assert app.running == 0 and app.in_flight == 0

    asyncio.run(scenario())


def test_a_limit_below_one_is_refused() -> None:
    async def nothing(scope: Scope, receive: Receive, send: Send) -> None: ...

    with pytest.raises(ValueError, match="C360_MAX_IN_FLIGHT must be at least 1"):
        InFlightLimit(nothing, limit=0)
    with pytest.raises(ValueError, match="C360_CONCURRENCY must be at least 1"):
        InFlightLimit(nothing, concurrency=0)
