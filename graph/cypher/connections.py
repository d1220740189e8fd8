"""The shortest connection between two customers over referral, club, event and dealer links.

A step is one relationship: REFERRED joins two customers directly; a shared club or
preferred dealer takes two steps (customer - club - customer); a shared event takes four,
because attendance is a touchpoint between the customer and the event
(customer -HAD- attendance -AT_EVENT- event). MAX_HOPS is a hard cap in the query text;
requests ask for at most that and shorter answers are filtered with a parameter.
"""

from __future__ import annotations

from typing import LiteralString

MAX_HOPS = 6

CONNECTION: LiteralString = """
MATCH (a:Person {id: $a}), (b:Person {id: $b})
WHERE a <> b
MATCH path = SHORTEST 1 (a)(()-[:REFERRED|MEMBER_OF|PREFERS_DEALER|HAD|AT_EVENT]-(
  :Person|Club|Dealer|EventAttendance|Event)){1,6}(b)
WHERE length(path) <= $maxHops
RETURN length(path) AS hops,
       [n IN nodes(path) | {
         kind: head([l IN labels(n) WHERE l IN
                     ['Person', 'Club', 'Dealer', 'EventAttendance', 'Event']]),
         key: coalesce(n.id, n.code, n.sourceId),
         name: coalesce(n.displayName, n.name)
       }] AS nodes,
       [r IN relationships(path) | type(r)] AS relationships
"""
