"""Admission: a few GraphQL requests run at once, the next ones wait in arrival order,
and past a fixed number in flight the excess is answered 503 at once.

Running every admitted request at once shares Neo4j's and Python's CPU between all of
them: each request's time stretches with the number running, and a heavy one (a dealer's
KPIs) stretches most, which is what the 99th percentile sees. With
``concurrency`` running (enough to keep the cores busy while others wait on I/O) and the
rest queued first come first served, every request waits about as long as the others,
throughput is the same or better, and the tail shrinks.

On two cores one process serves about 420 requests a second; past that, more waiting
requests only lengthen every request's wait until clients time out and retry, which piles
up more work. A request beyond ``limit`` in flight (running or waiting) is answered
immediately with 503 and ``Retry-After``, so a client backs off and the requests in
flight keep their latency. Health checks are never queued or shed.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_IN_FLIGHT = int(os.environ.get("C360_MAX_IN_FLIGHT", "64"))
CONCURRENCY = int(os.environ.get("C360_CONCURRENCY", "4"))
RETRY_AFTER_SECONDS = 1


class InFlightLimit:
    """ASGI middleware: HTTP requests to ``path`` run ``concurrency`` at a time, in
    arrival order; at most ``limit`` are in flight (running or waiting)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_IN_FLIGHT,
        concurrency: int = CONCURRENCY,
        path: str = "/graphql",
    ):
        if limit < 1:
            raise ValueError(f"C360_MAX_IN_FLIGHT must be at least 1, got {limit}")
        if concurrency < 1:
            raise ValueError(f"C360_CONCURRENCY must be at least 1, got {concurrency}")
        self.app = app
        self.limit = limit
        self.path = path
        self.in_flight = (
            0  # one event loop: no lock needed between the checks and updates
        )
        self.running = 0
        self._turns = asyncio.Semaphore(concurrency)  # FIFO: waiters wake in order

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await _busy(send, self.limit)
            return
        self.in_flight += 1
        try:
            async with self._turns:
                self.running += 1
                try:
                    await self.app(scope, receive, send)
                finally:
                    self.running -= 1
        finally:
            self.in_flight -= 1


async def _busy(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "errors": [
                {
                    "message": f"the service is at capacity ({limit} requests in "
                    f"flight); retry after {RETRY_AFTER_SECONDS} s"
                }
            ]
        }
    ).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
