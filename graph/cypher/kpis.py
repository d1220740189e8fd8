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

# One pass over what happened at d, grouped by person: each KPI is then read from the
# person's own lists (orders, quotations, deliveries, answers, cases at d) instead of
# walking d's touchpoints once per KPI and each person's whole history per lead.
# Quotation -> order: people with a quotation at d in the window who ordered at d within
# $horizon days of their first one there. Sleeper leads (domain brief §6): quotations in the
# window that no order at d followed within $horizon days; a person's lead is recovered by
# an order at d after that and within $recovery days of their first such quotation. App
# adoption among new owners: people with a delivery at d in the window who have the app
# within $appDays days of their first one. Detractor SLA and recovery (domain brief §7):
# answers of 0-6 about d in the window; an answer's care cases are the same person's cases
# at d opened within $caseDays days after it; called back: one of them reached the person
# within $slaHours hours of the answer; recovered: one of them closed 'recovered', or the
# person answered about d again with 7-10 within $recoveryDays days. NPS: every answer
# about d in the window, per checkpoint.
_AT_DEALER: LiteralString = """
CALL (d) {
  MATCH (t)-[:AT_DEALER]->(d)
  WITH t, CASE WHEN t:Quotation THEN 'Quotation' WHEN t:Order THEN 'Order'
               WHEN t:Delivery THEN 'Delivery' WHEN t:SurveyResponse THEN 'SurveyResponse'
               WHEN t:Case THEN 'Case' END AS kind
  WHERE kind IS NOT NULL
  OPTIONAL MATCH (p:Person)-[:HAD]->(t)
  WITH p, collect({t: t, kind: kind}) AS ts
  WITH p, [x IN ts WHERE x.kind = 'SurveyResponse' | x.t] AS answers,
       [x IN ts WHERE p IS NOT NULL AND x.kind = 'Order' | x.t.at] AS orders,
       [x IN ts WHERE p IS NOT NULL AND x.kind = 'Case' | x.t] AS cases,
       [x IN ts WHERE p IS NOT NULL AND x.kind = 'Quotation'
                  AND ($from IS NULL OR x.t.at >= $from) AND ($to IS NULL OR x.t.at < $to)
                | x.t] AS quotes,
       [x IN ts WHERE p IS NOT NULL AND x.kind = 'Delivery'
                  AND ($from IS NULL OR x.t.at >= $from) AND ($to IS NULL OR x.t.at < $to)
                | x.t.at] AS deliveries
  WITH p, answers, orders, cases, quotes, deliveries,
       [q IN quotes WHERE NOT any(o IN orders
                                 WHERE o >= q.at AND o < q.at + duration({days: $horizon}))
       ] AS sleeping
  WITH p, answers, orders, cases, sleeping,
       reduce(m = null, q IN quotes | CASE WHEN m IS NULL OR q.at < m THEN q.at ELSE m END)
         AS firstQuote,
       reduce(m = null, q IN sleeping | CASE WHEN m IS NULL OR q.at < m THEN q.at ELSE m END)
         AS firstSleeper,
       reduce(m = null, v IN deliveries | CASE WHEN m IS NULL OR v < m THEN v ELSE m END)
         AS delivered,
       [s IN answers WHERE p IS NOT NULL AND s.score <= 6
                     AND ($from IS NULL OR s.at >= $from) AND ($to IS NULL OR s.at < $to)
         | {s: s, cases: [c IN cases WHERE c.at >= s.at
                                       AND c.at < s.at + duration({days: $caseDays})]}
       ] AS detractions
  RETURN
    count(firstQuote) AS quoted,
    count(CASE WHEN any(o IN orders WHERE o >= firstQuote
                        AND o < firstQuote + duration({days: $horizon})) THEN 1 END)
      AS converted,
    count(firstSleeper) AS sleepers,
    count(CASE WHEN any(o IN orders WHERE o >= firstSleeper + duration({days: $horizon})
                        AND o < firstSleeper + duration({days: $recovery})) THEN 1 END)
      AS recoveredSleepers,
    count(delivered) AS newOwners,
    count(CASE WHEN delivered IS NULL THEN null
               WHEN EXISTS { MATCH (p)-[:HAD]->(a:AppInstall)
                             WHERE a.at < delivered + duration({days: $appDays}) }
               THEN 1 END) AS withApp,
    sum(size(detractions)) AS detractors,
    sum(size([x IN detractions WHERE any(c IN x.cases
             WHERE c.calledBackAt < x.s.at + duration({hours: $slaHours}))])) AS calledBack,
    sum(size([x IN detractions WHERE any(c IN x.cases WHERE c.outcome = 'recovered')
             OR any(l IN answers WHERE l.at > x.s.at
                    AND l.at < x.s.at + duration({days: $recoveryDays}) AND l.score >= 7)
             ])) AS recoveredDetractors,
    collect(sleeping) AS sleeping, collect(answers) AS answers
}
CALL (sleeping) {
  UNWIND sleeping AS theirs
  UNWIND theirs AS q
  WITH coalesce(q.reason, 'none given') AS key, count(*) AS leads
  ORDER BY leads DESC, key
  RETURN collect({reason: key, count: leads}) AS sleeperReasons
}
CALL (answers) {
  UNWIND answers AS theirs
  UNWIND theirs AS s"""

DEALER: LiteralString = (
    "MATCH (d:Dealer {code: $code})"
    + _CUSTOMERS
    + """CALL (d, customers) {
  // From the dealer's few clubs to their members: a customer's own relationships are many.
  MATCH (d)<-[:AFFILIATED_WITH]-(:Club)<-[m:MEMBER_OF]-(p:Person)
  WHERE m.membershipStatus = 'active' AND p IN customers
  RETURN count(DISTINCT p) AS clubMembers
}"""
    + _AT_DEALER
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
