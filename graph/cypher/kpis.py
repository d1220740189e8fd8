"""KPI queries over the journey: NPS summaries, dealer and club KPIs.

Queries count promoters (9-10) and detractors (0-6) of 0-10 answers (domain brief §6);
``api.kpis`` turns the counts into passives and NPS = 100 x (promoters - detractors) /
responses, in one place. Each grouping is a fixed Cypher expression chosen by name, never
text from a request; every filter value is a parameter.
"""

from __future__ import annotations

from typing import LiteralString

# What a survey answer is grouped by: the subject it is about, its checkpoint, or the
# respondent's country.
NPS_GROUPS: dict[str, LiteralString] = {
    "DEALER": "head([(s)-[:AT_DEALER]->(x:Dealer) | x.code])",
    "CLUB": "head([(s)-[:ABOUT_CLUB]->(x:Club) | x.code])",
    "EVENT": "head([(s)-[:AT_EVENT]->(x:Event) | x.id])",
    "MODEL": "head([(s)-[:FOR_MODEL]->(x:Model) | x.code])",
    "CHECKPOINT": "s.checkpoint",
    "COUNTRY": "head([(s)<-[:HAD]-(p:Person) | p.countryCode])",
}

_NPS_TAIL: LiteralString = """
WITH key, count(*) AS responses,
     count(CASE WHEN s.score >= 9 THEN 1 END) AS promoters,
     count(CASE WHEN s.score <= 6 THEN 1 END) AS detractors
WHERE $key IS NULL OR key = $key
RETURN key, responses, promoters, detractors
ORDER BY responses DESC, key
LIMIT $limit
"""


def nps_query(by: str) -> LiteralString:
    """Answers (optionally in a checkpoint and a time window) grouped ``by`` one of NPS_GROUPS."""
    group = NPS_GROUPS[by]  # KeyError for anything else: callers pass the enum's name
    head: LiteralString = (
        "MATCH (s:SurveyResponse) "
        "WHERE ($checkpoint IS NULL OR s.checkpoint = $checkpoint) "
        "AND ($from IS NULL OR s.at >= $from) AND ($to IS NULL OR s.at < $to) "
        "WITH s, "
    )
    return head + group + " AS key WHERE key IS NOT NULL" + _NPS_TAIL


# Dealer and club KPIs (domain brief §7). A customer of dealer d has an open ownership of a
# vehicle ordered at d, or prefers d. Club penetration: active members of the club (for a
# dealer: of any club affiliated with it) who are customers of d, over the customers of d.
# Quotation -> order: people with a quotation at d in the window who ordered at d within
# $horizon days of their first one there.
_CUSTOMERS: LiteralString = """
CALL (d) {
  CALL (d) {
    MATCH (p:Person)-[:PREFERS_DEALER]->(d)
    RETURN p
    UNION
    MATCH (p:Person)-[:HAD]->(o:Order)-[:AT_DEALER]->(d)
    MATCH (o)-[:ABOUT_VEHICLE]->(:Vehicle)<-[w:OWNS]-(p)
    WHERE w.ownedThrough IS NULL
    RETURN p
  }
  RETURN collect(p) AS customers
}
"""

# Expects the answers as ``s``; one list of NPS counts per checkpoint.
_NPS_OF: LiteralString = """
  WITH s WHERE ($from IS NULL OR s.at >= $from) AND ($to IS NULL OR s.at < $to)
  WITH s.checkpoint AS key, count(*) AS responses,
       count(CASE WHEN s.score >= 9 THEN 1 END) AS promoters,
       count(CASE WHEN s.score <= 6 THEN 1 END) AS detractors
  ORDER BY key
  RETURN collect({key: key, responses: responses, promoters: promoters,
                  detractors: detractors}) AS nps
"""

# Sleeper leads at d (domain brief §6): quotations in the window that no order at d followed
# within $horizon days; a person's lead is recovered by an order at d after that and within
# $recovery days of their first such quotation.
_SLEEPER_QUOTES: LiteralString = """
  MATCH (p:Person)-[:HAD]->(q:Quotation)-[:AT_DEALER]->(d)
  WHERE ($from IS NULL OR q.at >= $from) AND ($to IS NULL OR q.at < $to)
    AND NOT EXISTS {
      MATCH (p)-[:HAD]->(o:Order)-[:AT_DEALER]->(d)
      WHERE o.at >= q.at AND o.at < q.at + duration({days: $horizon})
    }"""

DEALER: LiteralString = (
    "MATCH (d:Dealer {code: $code})"
    + _CUSTOMERS
    + """CALL (d, customers) {
  UNWIND customers AS p
  MATCH (p)-[m:MEMBER_OF]->(:Club)-[:AFFILIATED_WITH]->(d)
  WHERE m.membershipStatus = 'active'
  RETURN count(DISTINCT p) AS clubMembers
}
CALL (d) {
  MATCH (p:Person)-[:HAD]->(q:Quotation)-[:AT_DEALER]->(d)
  WHERE ($from IS NULL OR q.at >= $from) AND ($to IS NULL OR q.at < $to)
  WITH p, min(q.at) AS first
  WITH p, EXISTS {
    MATCH (p)-[:HAD]->(o:Order)-[:AT_DEALER]->(d)
    WHERE o.at >= first AND o.at < first + duration({days: $horizon})
  } AS ordered
  RETURN count(p) AS quoted, count(CASE WHEN ordered THEN 1 END) AS converted
}
CALL (d) {"""
    + _SLEEPER_QUOTES
    + """
  WITH p, min(q.at) AS first
  WITH p, EXISTS {
    MATCH (p)-[:HAD]->(o:Order)-[:AT_DEALER]->(d)
    WHERE o.at >= first + duration({days: $horizon})
      AND o.at < first + duration({days: $recovery})
  } AS recovered
  RETURN count(p) AS sleepers, count(CASE WHEN recovered THEN 1 END) AS recoveredSleepers
}
CALL (d) {"""
    + _SLEEPER_QUOTES
    + """
  WITH coalesce(q.reason, 'none given') AS key, count(*) AS leads
  ORDER BY leads DESC, key
  RETURN collect({reason: key, count: leads}) AS sleeperReasons
}
CALL (d) {
  // App adoption among new owners: people with a delivery at d in the window who have the
  // app within $appDays days of their first one.
  MATCH (p:Person)-[:HAD]->(v:Delivery)-[:AT_DEALER]->(d)
  WHERE ($from IS NULL OR v.at >= $from) AND ($to IS NULL OR v.at < $to)
  WITH p, min(v.at) AS delivered
  RETURN count(p) AS newOwners, count(CASE WHEN EXISTS {
    MATCH (p)-[:HAD]->(a:AppInstall) WHERE a.at < delivered + duration({days: $appDays})
  } THEN 1 END) AS withApp
}
CALL (d) {
  // Detractor SLA and recovery (domain brief §7): answers of 0-6 about d in the window.
  // The answer's care cases: the same person's cases at d opened within $caseDays days
  // after it. Called back: one of them reached the person within $slaHours hours of the
  // answer. Recovered: one of them closed 'recovered', or the person answered about d
  // again with 7-10 within $recoveryDays days.
  MATCH (p:Person)-[:HAD]->(s:SurveyResponse)-[:AT_DEALER]->(d)
  WHERE s.score <= 6 AND ($from IS NULL OR s.at >= $from) AND ($to IS NULL OR s.at < $to)
  WITH p, s, [(p)-[:HAD]->(c:Case)-[:AT_DEALER]->(d)
              WHERE c.at >= s.at AND c.at < s.at + duration({days: $caseDays}) | c] AS cases
  RETURN count(s) AS detractors,
         count(CASE WHEN any(c IN cases
                             WHERE c.calledBackAt < s.at + duration({hours: $slaHours}))
               THEN 1 END) AS calledBack,
         count(CASE WHEN any(c IN cases WHERE c.outcome = 'recovered') OR EXISTS {
                 MATCH (p)-[:HAD]->(later:SurveyResponse)-[:AT_DEALER]->(d)
                 WHERE later.at > s.at AND later.at < s.at + duration({days: $recoveryDays})
                   AND later.score >= 7
               } THEN 1 END) AS recoveredDetractors
}
CALL (d) {
  MATCH (s:SurveyResponse)-[:AT_DEALER]->(d)"""
    + _NPS_OF
    + """}
RETURN d.code AS code, size(customers) AS customers, clubMembers, quoted, converted,
       sleepers, recoveredSleepers, sleeperReasons, newOwners, withApp, detractors,
       calledBack, recoveredDetractors, nps
"""
)

CLUB: LiteralString = (
    """MATCH (c:Club {code: $code})
OPTIONAL MATCH (c)-[:AFFILIATED_WITH]->(d:Dealer)
CALL (c) {
  MATCH (:Person)-[m:MEMBER_OF]->(c)
  RETURN count(m) AS members,
         count(CASE WHEN m.membershipStatus = 'active' THEN 1 END) AS active
}"""
    + _CUSTOMERS
    + """CALL (c) {
  // Answers about the club, or about the events it organised (its meetings and rides).
  CALL (c) {
    MATCH (s:SurveyResponse)-[:ABOUT_CLUB]->(c)
    RETURN s
    UNION
    MATCH (s:SurveyResponse)-[:AT_EVENT]->(:Event)-[:ORGANISED_BY_CLUB]->(c)
    RETURN s
  }"""
    + _NPS_OF
    + """}
RETURN c.code AS code, d.code AS dealer, members, active, size(customers) AS dealerCustomers,
       size([p IN customers WHERE EXISTS {
         MATCH (p)-[m:MEMBER_OF]->(c) WHERE m.membershipStatus = 'active'
       }]) AS customerMembers, nps
"""
)
