"""Right of access (export) and right to erasure for one customer, with the audit trail.

``export`` returns everything the graph holds about a customer as JSON-ready data.
``erase`` removes the customer across its whole identity cluster in one transaction and
leaves tombstones (``linkage.tombstones``: keyed hashes, no personal data) so that a later
import of the same source records is suppressed. Both write an ``AuditEntry`` whose subject
is the keyed hash of the customer ID: the trail can be searched by customer without itself
holding an identifier.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import neo4j

from graph.cypher import privacy as cypher
from linkage.tombstones import Tombstones, digest, privacy_key, record_ident
from ontology.errors import C360Error
from ontology.model import default as default_ontology
from ontology.validate import Validator, validators

T = TypeVar("T")


class UnknownCustomer(C360Error):
    exit_code = 2


class BadAuditEntry(C360Error):
    exit_code = 2


def tombstones(driver: neo4j.Driver, database: str) -> Tombstones:
    """The graph's tombstones, to suppress an import's erased records with (the privacy
    key is read only when there are some)."""
    rows, _, _ = driver.execute_query(cypher.TOMBSTONE_KEYS, database_=database)
    stones = frozenset(rows[0]["keys"]) if rows else frozenset()
    return Tombstones(privacy_key() if stones else b"", stones)


@dataclass(frozen=True)
class Erasure:
    """What one erasure removed (counts only) and the audit entry's ID."""

    audit_id: str
    removed: dict[str, int]
    tombstones: int


def subject(key: bytes, customer_id: str) -> str:
    """The audit trail's subject for a customer: its keyed hash."""
    return digest(key, f"person:{customer_id}")


def export(
    driver: neo4j.Driver,
    database: str,
    customer_id: str,
    key: bytes,
    actor: str,
    reason: str,
) -> dict[str, Any]:
    """Everything held about the customer, plus the audit entries about it; audited."""

    def work(tx: neo4j.ManagedTransaction) -> dict[str, Any] | None:
        row = tx.run(cypher.EXPORT, id=customer_id).single()
        if row is None:
            return None
        data: dict[str, Any] = _plain(row.data())
        entry = _audit(tx, key, "export", customer_id, actor, reason, {})
        keys = tx.run(cypher.RECORD_KEYS, id=customer_id).single()
        trail = tx.run(
            cypher.AUDIT_TRAIL,
            {
                "subject": subject(key, customer_id),
                "records": list(keys["keys"]) if keys else [],
                "from": None,
                "until": None,
            },
            limit=10_000,
        )
        data["auditEntries"] = [_plain(r["entry"]) for r in trail]
        data["exportAudit"] = entry
        return data

    return _about(driver, database, customer_id, work)


def erase(
    driver: neo4j.Driver,
    database: str,
    customer_id: str,
    key: bytes,
    actor: str,
    reason: str,
) -> Erasure:
    """Remove the customer, its records and all that hangs off them; leave tombstones."""

    def work(tx: neo4j.ManagedTransaction) -> Erasure | None:
        ids = tx.run(cypher.IDENTIFIERS, id=customer_id).single()
        if ids is None:
            return None
        records = [(str(s), str(i)) for s, i in ids["records"]]
        idents = [record_ident(k) for k in records] + ids["contacts"] + ids["accounts"]
        stones = sorted({digest(key, i) for i in idents})
        at = _now()
        tx.run(cypher.TOMBSTONES, stones=stones, at=at).consume()
        keys = [f"{s}/{i}" for s, i in records]
        removed = {}
        for what, query in cypher.ERASE_STEPS.items():
            result = tx.run(query, id=customer_id, keys=keys).single()
            removed[what] = int(result["n"] or 0) if result else 0
        entry = _audit(
            tx,
            key,
            "erase",
            customer_id,
            actor,
            reason,
            {**removed, "tombstones": len(stones)},
        )
        return Erasure(entry["id"], removed, len(stones))

    return _about(driver, database, customer_id, work)


def _about(
    driver: neo4j.Driver,
    database: str,
    customer_id: str,
    work: Callable[[neo4j.ManagedTransaction], T | None],
) -> T:
    """``work`` in one (retried) write transaction; None from it: no such customer."""
    with driver.session(database=database) as session:
        out = session.execute_write(work)
    if out is None:
        raise UnknownCustomer(f"no customer {customer_id!r}")
    return out


def trail(
    driver: neo4j.Driver,
    database: str,
    key: bytes,
    customer_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The audit trail (``cypher.AUDIT_TRAIL``), newest first, about one customer and/or
    in a time window. An erased customer's records are gone, so only the entries keyed by
    its subject hash remain findable: the erasure itself among them."""
    records = None
    if customer_id:
        rows, _, _ = driver.execute_query(
            cypher.RECORD_KEYS, id=customer_id, database_=database
        )
        records = list(rows[0]["keys"]) if rows else []
    params = {
        "subject": subject(key, customer_id) if customer_id else None,
        "records": records,
        "from": since,
        "until": until,
        "limit": limit,
    }
    rows, _, _ = driver.execute_query(cypher.AUDIT_TRAIL, params, database_=database)
    return [_plain(r["entry"]) for r in rows]


def read_entries(
    key: bytes, actor: str, fields: list[str], customer_ids: list[str]
) -> list[dict[str, Any]]:
    """Audit entries for one privileged read through the API: one per customer it named
    (none named: one without a subject). The detail lists root fields, never arguments:
    a search text is personal data."""
    at = _now()
    detail = json.dumps({"fields": sorted(set(fields))})
    out = []
    named: list[str | None] = [*sorted(set(customer_ids))]
    for who in named or [None]:
        props, problems = _audit_shape().check(
            {
                "id": str(uuid.uuid4()),
                "action": "read",
                "at": at,
                "actor": actor,
                "subject": subject(key, who) if who is not None else None,
                "decisionReason": "GraphQL query",
                "detail": detail,
            }
        )
        if problems:
            raise BadAuditEntry("; ".join(f"{v.path}: {v.message}" for v in problems))
        out.append(props)
    return out


def _audit(
    tx: neo4j.ManagedTransaction,
    key: bytes,
    action: str,
    customer_id: str,
    actor: str,
    reason: str,
    detail: Mapping[str, int],
) -> dict[str, Any]:
    props, problems = _audit_shape().check(
        {
            "id": str(uuid.uuid4()),
            "action": action,
            "at": _now(),
            "actor": actor,
            "subject": subject(key, customer_id),
            "decisionReason": reason,
            "detail": json.dumps(dict(detail), sort_keys=True),
        }
    )
    if problems:  # the reason or actor given; nothing is written
        raise BadAuditEntry("; ".join(f"{v.path}: {v.message}" for v in problems))
    tx.run(cypher.AUDIT, props=props).consume()
    return dict(_plain(props))


@functools.cache
def _audit_shape() -> Validator:
    """The AuditEntry shape, built once per process (not once per entry)."""
    return validators(default_ontology())["AuditEntry"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)


def _plain(value: Any) -> Any:
    """Neo4j values as JSON-ready Python: temporals as ISO text, maps and lists inside."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
