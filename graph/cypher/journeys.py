"""Journey analytics: funnels and sleeper leads, aggregated in Neo4j (one query each).

Stage names are touchpoint classes of the ontology, passed as parameters and compared with
labels, never spliced into the text.
"""

from __future__ import annotations

from typing import LiteralString

# Per person, the touchpoints of the funnel's stages in time order; a greedy walk takes each
# stage's first occurrence after the previous stage's, so the times are the funnel's path.
FUNNEL: LiteralString = """
MATCH (p:Person)-[:HAD]->(t:Touchpoint)
WHERE any(l IN labels(t) WHERE l IN $stages)
  AND ($country IS NULL OR p.countryCode = $country)
  AND ($from IS NULL OR t.at >= $from) AND ($to IS NULL OR t.at < $to)
  AND ($dealer IS NULL OR EXISTS { (t)-[:AT_DEALER]->(:Dealer {code: $dealer}) })
  AND ($model IS NULL OR EXISTS { (t)-[:FOR_MODEL]->(:Model {code: $model}) }
       OR EXISTS { (t)-[:ABOUT_VEHICLE]->(:Vehicle)-[:OF_MODEL]->(:Model {code: $model}) })
WITH p, t ORDER BY t.at, t.source, t.sourceId
WITH p, collect({s: [l IN labels(t) WHERE l IN $stages][0], at: t.at}) AS steps
WITH reduce(acc = [], x IN steps |
       CASE WHEN size(acc) < size($stages) AND x.s = $stages[size(acc)]
            THEN acc + [x.at] ELSE acc END) AS times
WHERE size(times) > 0
UNWIND range(0, size(times) - 1) AS i
WITH i, CASE WHEN i = 0 THEN null ELSE duration.inDays(times[i - 1], times[i]).days END AS days
RETURN i AS stage, count(*) AS customers, percentileDisc(days, 0.5) AS medianDays
ORDER BY stage
"""

# Quotations older than $days with no order by the same person within $days of them.
SLEEPERS: LiteralString = """
MATCH (p:Person)-[:HAD]->(q:Quotation)-[:AT_DEALER]->(d:Dealer)
WHERE q.at < localdatetime() - duration({days: $days})
  AND ($dealer IS NULL OR d.code = $dealer)
  AND NOT EXISTS {
    MATCH (p)-[:HAD]->(o:Order)
    WHERE q.at <= o.at <= q.at + duration({days: $days})
  }
WITH d, q
ORDER BY d.code
WITH d, count(q) AS leads, collect(coalesce(q.reason, '')) AS reasons
UNWIND reasons AS reason
WITH d, leads, reason, count(*) AS n
ORDER BY d.code, n DESC, reason
WITH d, leads, collect({reason: reason, count: n}) AS reasons
RETURN d.code AS dealer, leads, reasons
ORDER BY leads DESC, dealer
LIMIT $limit
"""

# Per customer who reached `$to`, the kinds of their touchpoints from the first to the first
# `$to` (messages and survey answers left out: they are not steps), counted by sequence.
PATHS: LiteralString = """
MATCH (p:Person)-[:HAD]->(goal:Touchpoint)
WHERE $to IN labels(goal) AND ($country IS NULL OR p.countryCode = $country)
WITH p, min(goal.at) AS reached
MATCH (p)-[:HAD]->(t:Touchpoint)
WHERE t.at <= reached AND none(l IN labels(t) WHERE l IN $skip)
WITH p, t ORDER BY t.at, t.source, t.sourceId
WITH p, collect([l IN labels(t) WHERE l <> 'Touchpoint'][0]) AS path
WITH [i IN range(0, size(path) - 1) WHERE i = 0 OR path[i] <> path[i - 1] | path[i]] AS path
WHERE $from IS NULL OR path[0] = $from
RETURN path, count(*) AS customers
ORDER BY customers DESC, path
LIMIT $limit
"""
