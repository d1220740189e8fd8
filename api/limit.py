"""Load shedding: beyond a fixed number of GraphQL requests in flight, answer 503 at once.

On two cores one process serves about a hundred requests a second; past that, more
concurrent requests only lengthen every request's wait until clients time out and retry,
which piles up more work. A request over the limit is answered immediately with 503 and
``Retry-After``, so a client backs off and the requests in flight keep their latency.
Health checks are never shed.
"""

from __future__ import annotations

import json
import os
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_IN_FLIGHT = int(os.environ.get("C360_MAX_IN_FLIGHT", "64"))
RETRY_AFTER_SECONDS = 1


class InFlightLimit:
    """ASGI middleware: at most ``limit`` HTTP requests to ``path`` at a time."""

    def __init__(
        self, app: ASGIApp, limit: int = MAX_IN_FLIGHT, path: str = "/graphql"
    ):
        if limit < 1:
            raise ValueError(f"C360_MAX_IN_FLIGHT must be at least 1, got {limit}")
        self.app = app
        self.limit = limit
        self.path = path
        self.in_flight = (
            0  # one event loop: no lock needed between the checks and updates
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await _busy(send, self.limit)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
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
