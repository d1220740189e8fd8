"""API keys: who is calling, as a ``graph.scope.Scope``, and how their answers are masked.

Keys live in a TOML file (``$C360_API_KEYS``, else ``api-keys.toml`` beside the managed
Neo4j's home), one ``[[key]]`` table each with a name, a role, the dealer or club code of
a scoped role, and the SHA-256 of the key: the file never holds a usable secret, so it can
be read by the service account and backed up like any configuration. ``c360 api-key add``
mints a key, prints it once and stores its hash.

With no key file the API runs open (every caller is admin), which suits the local demo on
127.0.0.1; ``c360 serve`` refuses to listen on any other interface without keys.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from graph.errors import C360Error
from graph.scope import Role, Scope

KEYS_ENV = "C360_API_KEYS"
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SCOPE_KEY = (
    "c360.scope"  # where the middleware leaves the caller's Scope in the ASGI scope
)


class KeyFileError(C360Error):
    """The key file is unreadable or wrong; the API does not start on it."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    scope: Scope


def keys_path() -> Path:
    if os.environ.get(KEYS_ENV):
        return Path(os.environ[KEYS_ENV])
    from graph.server import default_home  # the managed setup's folder

    return default_home().parent / "api-keys.toml"


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def load_keys(path: Path) -> list[ApiKey]:
    """The keys of ``path``; [] when it does not exist. Every entry is checked."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KeyFileError(f"{path}: cannot read the API keys: {exc}") from exc
    keys = []
    for i, entry in enumerate(data.get("key", []), 1):
        where = f"{path}: key {i}"
        if not isinstance(entry, dict):
            raise KeyFileError(f"{where} is not a table")
        name, digest = entry.get("name"), entry.get("sha256")
        if not isinstance(name, str) or not _NAME.match(name):
            raise KeyFileError(f"{where}: name must be 1-64 of A-Z a-z 0-9 _ . : -")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise KeyFileError(f"{where} ({name}): sha256 must be 64 hex digits")
        try:
            scope = Scope(
                Role(str(entry.get("role", ""))),
                dealer=entry.get("dealer"),
                club=entry.get("club"),
                name=name,
            )
        except ValueError as exc:
            roles = ", ".join(r.value for r in Role)
            raise KeyFileError(f"{where} ({name}): {exc} (roles: {roles})") from exc
        keys.append(ApiKey(name, digest, scope))
    names = [k.name for k in keys]
    if len(set(names)) != len(names):
        raise KeyFileError(f"{path}: two keys have the same name")
    return keys


def add_key(path: Path, scope: Scope) -> str:
    """Mint a key for ``scope`` (named ``scope.name``), store its hash, return the key."""
    if not _NAME.match(scope.name):
        raise KeyFileError("the name must be 1-64 of A-Z a-z 0-9 _ . : -")
    keys = load_keys(path)
    if any(k.name == scope.name for k in keys):
        raise KeyFileError(f"{path}: a key named {scope.name} exists; remove it first")
    secret = "c360_" + secrets.token_urlsafe(32)
    keys.append(ApiKey(scope.name, key_hash(secret), scope))
    _write(path, keys)
    return secret


def remove_key(path: Path, name: str) -> bool:
    keys = load_keys(path)
    kept = [k for k in keys if k.name != name]
    if len(kept) == len(keys):
        return False
    _write(path, kept)
    return True


def _write(path: Path, keys: list[ApiKey]) -> None:
    lines = ["# API keys of the customer360 GraphQL API (c360 api-key). Hashes only.\n"]
    for k in keys:
        lines.append("\n[[key]]\n")
        lines.append(f"name = {json.dumps(k.name)}\n")
        lines.append(f'role = "{k.scope.role.value}"\n')
        if k.scope.dealer is not None:
            lines.append(f"dealer = {json.dumps(k.scope.dealer)}\n")
        if k.scope.club is not None:
            lines.append(f"club = {json.dumps(k.scope.club)}\n")
        lines.append(f'sha256 = "{k.sha256}"\n')
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(lines))
    tmp.replace(path)


def pseudonymiser(key: bytes) -> Callable[[Any], Any]:
    """Personal data a role may not read in clear -> a stable keyed token (``~`` and 16
    hex digits): the same value always gives the same token, so analysts can count and
    join, but not read. Non-text values (dates) become null."""

    def mask(value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return None
        return "~" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]

    return mask


class Authenticate:
    """ASGI middleware: a GraphQL request must carry ``Authorization: Bearer <key>`` of a
    configured key; its Scope goes to the resolvers. Without keys, every caller is admin.

    A GET without a query (the GraphiQL page itself) needs no key: the page then sends
    the key the user types into its headers pane."""

    def __init__(
        self, app: ASGIApp, keys: list[ApiKey], path: str = "/graphql"
    ) -> None:
        self.app = app
        self.by_hash = {k.sha256: k.scope for k in keys}
        self.path = path

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if (
            not self.by_hash
            or scope["type"] != "http"
            or scope.get("path") != self.path
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"authorization", b"").decode("latin-1")
        kind, _, secret = given.partition(" ")
        found = (
            self.by_hash.get(key_hash(secret.strip()))
            if kind.lower() == "bearer"
            else None
        )
        if found is None:
            if scope.get("method") == "GET" and b"query=" not in scope.get(
                "query_string", b""
            ):
                await self.app(scope, receive, send)  # the GraphiQL page
                return
            await _unauthorised(send, "missing" if not given else "unknown")
            return
        scope[SCOPE_KEY] = found
        await self.app(scope, receive, send)


async def _unauthorised(send: Send, why: str) -> None:
    body = json.dumps(
        {
            "errors": [
                {
                    "message": f"{why} API key: send 'Authorization: Bearer <key>' "
                    "with a key from c360 api-key add"
                }
            ]
        }
    ).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"www-authenticate", b'Bearer realm="customer360"'),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
