"""KPI queries over the journey: NPS summaries.

NPS = 100 x (promoters - detractors) / responses, on 0-10 answers: 9-10 promote, 0-6
detract (domain brief §6). Each grouping is a fixed Cypher expression chosen by name, never
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
RETURN key, responses, promoters, responses - promoters - detractors AS passives, detractors,
       100.0 * (promoters - detractors) / responses AS nps
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
