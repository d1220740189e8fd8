"""The shortest connection between two customers over referral, club, event and dealer links.

A step is one relationship: REFERRED joins two customers directly; a shared club or
preferred dealer takes two steps (customer - club - customer); a shared event takes four,
because attendance is a touchpoint between the customer and the event
(customer -HAD- attendance -AT_EVENT- event). MAX_HOPS is a hard cap in the query text;
requests ask for at most that and shorter answers are filtered with a parameter.

Dealers are hubs: each is preferred by thousands of customers, so one search over every
link reads, for each customer of each dealer within reach, all of that customer's
relationships (mostly touchpoints), which at 1M customers is most of the work and all of it
when there is no answer, the usual case. A customer prefers at most one dealer, so a path
of at most 6 steps passes through 0, 1 or 2 dealers, and the query finds the shortest of
each kind without walking out of a dealer into its customers' other links:

- none: a shortest search over the links other than PREFERS_DEALER;
- one dealer ``d``: the shortest dealer-free way from ``a`` to a customer of ``d`` and the
  same from ``b``, joined on ``d``;
- two dealers ``d1`` near ``a`` and ``d2`` near ``b``: the customers of ``d1`` (one of the
  few dealers within 2 steps of ``a``) with a referral or a club (1 or 2 steps) to a
  customer of ``d2``; a longer middle leaves no room in 6 steps.

The shortest of the three is a shortest path over all the links (checked against networkx
in tests/api/test_connection.py).
"""

from __future__ import annotations

from typing import LiteralString

MAX_HOPS = 6

# The dealer-free links (customer, club and event side) and the nodes they may pass.
_STEP: LiteralString = (
    "(()-[:REFERRED|MEMBER_OF|HAD|AT_EVENT]-(:Person|Club|EventAttendance|Event))"
)


def _to_dealers(end: LiteralString, name: LiteralString) -> LiteralString:
    """``name``: for each dealer within reach of ``end``, the shortest dealer-free way from
    ``end`` to one of its customers, and on to the dealer."""
    return (
        "CALL ("
        + end
        + ") {\n  MATCH p = ANY SHORTEST ("
        + end
        + ")"
        + _STEP
        + "{0,4}(:Person)-[:PREFERS_DEALER]->(d:Dealer)\n"
        "  WHERE length(p) < $maxHops\n"
        "  RETURN collect({d: d, p: p}) AS " + name + "\n}\n"
    )


CONNECTION: LiteralString = (
    """
MATCH (a:Person {id: $a}), (b:Person {id: $b})
WHERE a <> b
CALL (a, b) {
  MATCH p = ANY SHORTEST (a)"""
    + _STEP
    + """{1,6}(b)
  WHERE length(p) <= $maxHops
  RETURN collect({nodes: nodes(p), rels: relationships(p)}) AS none
}
"""
    + _to_dealers("a", "fromA")
    + _to_dealers("b", "fromB")
    + """CALL (fromA, fromB) {
  UNWIND fromA AS x
  UNWIND fromB AS y
  WITH x, y WHERE x.d = y.d AND length(x.p) + length(y.p) <= $maxHops
  RETURN collect({nodes: nodes(x.p) + tail(reverse(nodes(y.p))),
                  rels: relationships(x.p) + reverse(relationships(y.p))}) AS one
}
CALL (fromA, fromB) {
  UNWIND fromA AS x
  WITH x WHERE length(x.p) <= $maxHops - 4
  WITH x, [y IN fromB WHERE y.d <> x.d AND length(x.p) + length(y.p) <= $maxHops - 3]
       AS ys
  WHERE size(ys) > 0
  WITH x, ys, [y IN ys | y.d] AS ends, x.d AS d1
  MATCH (d1)<-[r0:PREFERS_DEALER]-(P:Person)
  CALL (P, ends) {
    MATCH mid = (P)(()-[:REFERRED|MEMBER_OF]-(:Person|Club)){1,2}
                (:Person)-[:PREFERS_DEALER]->(d2:Dealer)
    WHERE d2 IN ends
    RETURN mid
  }
  UNWIND ys AS y
  WITH x, y, r0, mid WHERE y.d = last(nodes(mid))
    AND length(x.p) + 1 + length(mid) + length(y.p) <= $maxHops
  RETURN collect({nodes: nodes(x.p) + nodes(mid) + tail(reverse(nodes(y.p))),
                  rels: relationships(x.p) + [r0] + relationships(mid)
                        + reverse(relationships(y.p))}) AS two
}
UNWIND none + one + two AS path
WITH path ORDER BY size(path.rels) LIMIT 1
RETURN size(path.rels) AS hops,
       [n IN path.nodes | {
         kind: head([l IN labels(n) WHERE l IN
                     ['Person', 'Club', 'Dealer', 'EventAttendance', 'Event']]),
         key: coalesce(n.id, n.code, n.sourceId),
         name: coalesce(n.displayName, n.name)
       }] AS nodes,
       [r IN path.rels | type(r)] AS relationships
"""
)
