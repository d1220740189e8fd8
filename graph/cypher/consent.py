"""Consent in force: for a person, the latest statement per channel and purpose of any of
its source records wins; on the same instant a refusal beats a grant. No statement means
no consent (opt-in, as GDPR requires for marketing and profiling).

A statement on channel ``any`` (profiling, analytics) covers every channel, so "may we
email this person offers?" reads the latest of its email and any-channel marketing
statements.
"""

from __future__ import annotations

from typing import LiteralString

# Serving the customer under the contract needs no consent (ontology: purposeRelationship).
NO_CONSENT_NEEDED = frozenset({"relationship"})

# The statements in force for one person: one row per channel and purpose ever stated.
IN_FORCE: LiteralString = """
MATCH (:Person {id: $person})<-[:RESOLVED_TO]-(s:SourceRecord)-[:STATED_CONSENT]->(c:Consent)
WITH s, c ORDER BY c.at DESC, c.consentStatus = 'granted'
WITH c.channel AS channel, c.purpose AS purpose, collect({s: s, c: c}) AS said
WITH channel, purpose, said[0] AS latest, size(said) AS statements
RETURN channel, purpose, latest.c.consentStatus AS status, latest.c.at AS at,
       latest.c.wordingVersion AS wording, latest.s.source AS source,
       latest.s.sourceId AS sourceId, statements
ORDER BY purpose, channel
"""

# Whether person ``n`` may be contacted on $channel for $purpose: a predicate to AND into a
# query's WHERE.
CONSENTED: LiteralString = """
COLLECT {
  MATCH (n)<-[:RESOLVED_TO]-(:SourceRecord)-[:STATED_CONSENT]->(c:Consent)
  WHERE c.purpose = $purpose AND c.channel IN [$channel, 'any']
  WITH c ORDER BY c.at DESC, c.consentStatus = 'granted' LIMIT 1
  RETURN c.consentStatus
} = ['granted']"""

# A segment's current members and how many of them may be contacted ($free: the purpose
# needs no consent).
AUDIENCE_COUNTS: LiteralString = (
    """
MATCH (:Segment {id: $segment})<-[m:IN_SEGMENT]-(n:Person) WHERE m.until IS NULL
RETURN count(n) AS members, count(CASE WHEN $free OR """
    + CONSENTED
    + """ THEN 1 END) AS eligible
"""
)
