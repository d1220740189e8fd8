"""Right of access and erasure: what is held about one person, and removing all of it.

The queries of one erasure run in one transaction (``graph.privacy.erase``), in this order:
identifiers to tombstone first, then what hangs off the records and the person, then the
records, then the person.
"""

from __future__ import annotations

from typing import LiteralString

# Everything held about one person (the right of access): its golden record, every source
# record with its contact points and consent statements, its relationships, touchpoints,
# segment history, referrals, households, the held referral mentions naming its records
# (its own form saying who referred it, say) and the manual decisions about its records.
EXPORT: LiteralString = """
MATCH (p:Person {id: $id})
RETURN properties(p) AS person,
  COLLECT { MATCH (p)<-[r:RESOLVED_TO]-(s:SourceRecord)
    RETURN {record: properties(s), resolution: properties(r),
            contactPoints: [(s)-[u:HAS_CONTACT_POINT]->(c) |
                             {kind: [l IN labels(c) WHERE l <> 'ContactPoint'][0],
                              value: c.value, use: properties(u)}],
            consents: [(s)-[:STATED_CONSENT]->(c:Consent) | properties(c)],
            matched: [(s)-[m:MATCHED]-(o:SourceRecord) |
                      {record: o.source + '/' + o.sourceId, evidence: properties(m)}]}
    ORDER BY s.source, s.sourceId } AS sourceRecords,
  COLLECT { MATCH (p)-[r]->(n) WHERE NOT n:Touchpoint
    RETURN {relationship: type(r), properties: properties(r),
            to: [l IN labels(n)][0],
            key: coalesce(n.id, n.code, n.vin, n.value)}
    ORDER BY type(r), coalesce(n.id, n.code, n.vin, n.value) } AS relationships,
  COLLECT { MATCH (n)-[r]->(p) WHERE NOT n:SourceRecord
    RETURN {relationship: type(r), properties: properties(r), from: [l IN labels(n)][0],
            key: coalesce(n.id, n.code)}
    ORDER BY type(r), coalesce(n.id, n.code) } AS incoming,
  COLLECT { MATCH (p)-[:HAD]->(t:Touchpoint)
    RETURN {kind: [l IN labels(t) WHERE l <> 'Touchpoint'][0], properties: properties(t),
            links: [(t)-[l]->(x) | {relationship: type(l), key: coalesce(x.id, x.code, x.vin)}]}
    ORDER BY t.at, t.source, t.sourceId } AS touchpoints,
  COLLECT { MATCH (p)<-[:RESOLVED_TO]-(s:SourceRecord)
    WITH 'record:' + s.source + '/' + s.sourceId AS named
    MATCH (h:HeldReferral) WHERE h.referrerVia = named OR h.refereeVia = named
    RETURN properties(h) ORDER BY h.at, h.evidence } AS heldReferrals,
  COLLECT { MATCH (d:LinkDecision)
    WHERE any(k IN d.records + coalesce(d.apartFrom, []) WHERE k IN
              [(p)<-[:RESOLVED_TO]-(s:SourceRecord) | s.source + '/' + s.sourceId])
    RETURN properties(d) ORDER BY d.at } AS linkDecisions
"""

# The identifiers to tombstone: the person's records, and the contact points and app
# accounts no record of anyone else shares (a household's shared email stays).
IDENTIFIERS: LiteralString = """
MATCH (p:Person {id: $id})
RETURN
  [(p)<-[:RESOLVED_TO]-(s:SourceRecord) | [s.source, s.sourceId]] AS records,
  COLLECT { MATCH (p)<-[:RESOLVED_TO]-(:SourceRecord)-[:HAS_CONTACT_POINT]->(c:ContactPoint)
    WHERE NOT EXISTS { (c)<-[:HAS_CONTACT_POINT]-(o:SourceRecord)
                       WHERE NOT (o)-[:RESOLVED_TO]->(p) }
    RETURN DISTINCT CASE WHEN c:Email THEN 'email:' ELSE 'phone:' END + c.value } AS contacts,
  COLLECT { MATCH (p)<-[:RESOLVED_TO]-(s:SourceRecord) WHERE s.appAccount IS NOT NULL
    RETURN DISTINCT 'app:' + s.appAccount } AS accounts
"""

TOMBSTONE_KEYS: LiteralString = """
MATCH (t:Tombstone) RETURN collect(t.tombstoneKey) AS keys
"""

TOMBSTONES: LiteralString = """
UNWIND $stones AS k
MERGE (t:Tombstone {tombstoneKey: k})
ON CREATE SET t.erasedAt = $at
"""

# What held rows (``HeldTouchpoint``, ``HeldReferral``) may name of the person: each of
# its records ($keys, "source/sourceId") and the contact point key of each block its
# records are stored under; one per row (``record`` or ``contact``, the other null).
_NAMED: LiteralString = """
        CALL () {
          UNWIND $keys AS record RETURN record, null AS contact
          UNION
          MATCH (:Person {id: $id})<-[:RESOLVED_TO]-(:SourceRecord)-[:IN_BLOCK]->(b:BlockingKey)
          RETURN DISTINCT null AS record, b.blockKey AS contact
        }"""

# What hangs off the person and its records; each returns how many it removed.
ERASE_STEPS: dict[str, LiteralString] = {
    # open memberships leave the segments' stored counts (history goes with the person)
    "segment memberships": """
        MATCH (:Person {id: $id})-[m:IN_SEGMENT]->(s:Segment) WHERE m.until IS NULL
        WITH s, count(m) AS gone SET s.memberCount = s.memberCount - gone
        RETURN sum(gone) AS n""",
    "touchpoints": """
        MATCH (p:Person {id: $id})-[:HAD]->(t:Touchpoint)
        WHERE NOT EXISTS { (t)<-[:HAD]-(o:Person) WHERE o <> p }
        DETACH DELETE t RETURN count(*) AS n""",
    # rows held without a person that named one of its records or contact points
    "held touchpoints": _NAMED
    + """
        CALL (record, contact) {
          MATCH (h:HeldTouchpoint {viaRecord: record}) RETURN h
          UNION
          MATCH (h:HeldTouchpoint {viaContact: contact}) RETURN h
        }
        WITH DISTINCT h DETACH DELETE h RETURN count(*) AS n""",
    # referral mentions held without a person that named one of them on either side
    "held referrals": _NAMED
    + """
        WITH coalesce('record:' + record, 'contact:' + contact) AS named
        CALL (named) {
          MATCH (h:HeldReferral {referrerVia: named}) RETURN h
          UNION
          MATCH (h:HeldReferral {refereeVia: named}) RETURN h
        }
        WITH DISTINCT h DETACH DELETE h RETURN count(*) AS n""",
    "consent statements": """
        MATCH (:Person {id: $id})<-[:RESOLVED_TO]-(:SourceRecord)-[:STATED_CONSENT]->(c:Consent)
        DETACH DELETE c RETURN count(*) AS n""",
    "contact points": """
        MATCH (p:Person {id: $id})<-[:RESOLVED_TO]-(:SourceRecord)-[:HAS_CONTACT_POINT]->(c:ContactPoint)
        WHERE NOT EXISTS { (c)<-[:HAS_CONTACT_POINT]-(o:SourceRecord)
                           WHERE NOT (o)-[:RESOLVED_TO]->(p) }
        WITH DISTINCT c DETACH DELETE c RETURN count(*) AS n""",
    "link decisions": """
        MATCH (d:LinkDecision)
        WHERE any(k IN d.records + coalesce(d.apartFrom, []) WHERE k IN $keys)
        DETACH DELETE d RETURN count(*) AS n""",
    # hashed blocking keys only this person's records had
    "blocking keys": """
        MATCH (p:Person {id: $id})<-[:RESOLVED_TO]-(:SourceRecord)-[:IN_BLOCK]->(b:BlockingKey)
        WHERE NOT EXISTS { (b)<-[:IN_BLOCK]-(o:SourceRecord) WHERE NOT (o)-[:RESOLVED_TO]->(p) }
        WITH DISTINCT b DETACH DELETE b RETURN count(*) AS n""",
    "source records": """
        MATCH (:Person {id: $id})<-[:RESOLVED_TO]-(s:SourceRecord)
        DETACH DELETE s RETURN count(*) AS n""",
    # a household of one left is no household (and would say who was erased)
    "households": """
        MATCH (:Person {id: $id})-[:IN_HOUSEHOLD]->(h:Household)
        WHERE COUNT { (h)<-[:IN_HOUSEHOLD]-() } <= 2
        DETACH DELETE h RETURN count(*) AS n""",
    "persons": """
        MATCH (p:Person {id: $id}) DETACH DELETE p RETURN count(*) AS n""",
}

AUDIT: LiteralString = """
CREATE (a:AuditEntry) SET a = $props
"""

AUDIT_MANY: LiteralString = """
UNWIND $entries AS props CREATE (a:AuditEntry) SET a = props
"""

# The audit trail, newest first: the graph's append-only records, read as one list of
# {id, action, at, actor, subject, decisionReason, detail}. Audit entries (exports,
# erasures, privileged API reads) by $subject; link decisions (merge, split, never_link)
# and consent statements by the customer's records ($records, "source/sourceId"); schema
# migrations only when no customer is asked for. Times compare as UTC datetimes, whichever
# kind (local or zoned) a writer stored.
AUDIT_TRAIL: LiteralString = """
WITH CASE WHEN $from IS NULL THEN NULL ELSE datetime({datetime: $from}) END AS since,
     CASE WHEN $until IS NULL THEN NULL ELSE datetime({datetime: $until}) END AS before
CALL (since, before) {
  MATCH (a:AuditEntry)
  WHERE ($subject IS NULL OR a.subject = $subject)
  RETURN datetime({datetime: a.at}) AS at, properties(a) AS entry
  UNION ALL
  MATCH (d:LinkDecision)
  WHERE $records IS NULL
     OR any(r IN d.records + coalesce(d.apartFrom, []) WHERE r IN $records)
  RETURN datetime({datetime: d.at}) AS at,
         {id: d.id, action: d.decision, at: d.at, actor: d.actor,
          decisionReason: d.decisionReason,
          detail: 'records: ' + reduce(t = '', r IN d.records | t + ' ' + r)} AS entry
  UNION ALL
  MATCH (v:SchemaVersion) WHERE $records IS NULL AND $subject IS NULL
  RETURN datetime({datetime: v.at}) AS at,
         {id: 'schema ' + v.version, action: 'migrate', at: v.at, actor: v.actor,
          decisionReason: 'ontology ' + v.version,
          detail: toString(size(coalesce(v.statements, []))) + ' statements'} AS entry
  UNION ALL
  MATCH (s:SourceRecord)-[:STATED_CONSENT]->(c:Consent)
  WHERE $records IS NOT NULL AND s.source + '/' + s.sourceId IN $records
  RETURN datetime({datetime: c.at}) AS at,
         {id: c.consentKey, action: 'consent', at: c.at, actor: s.source + '/' + s.sourceId,
          decisionReason: c.purpose + ' on ' + c.channel + ': ' + c.consentStatus,
          detail: c.wordingVersion} AS entry
}
WITH at, entry WHERE (since IS NULL OR at >= since) AND (before IS NULL OR at < before)
RETURN entry ORDER BY at DESC, entry.id LIMIT $limit
"""

# The source records of a customer, as the trail's "source/sourceId" keys.
RECORD_KEYS: LiteralString = """
MATCH (:Person {id: $id})<-[:RESOLVED_TO]-(s:SourceRecord)
RETURN collect(s.source + '/' + s.sourceId) AS keys
"""
