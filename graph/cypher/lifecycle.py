"""Each customer's one lifecycle stage, derived from the graph (domain brief §3.3).

Vehicles bought are the delivered ones and the owned ones (the owner app's garage); an
ownership is open unless it ended, or a later owner certified the vehicle (a private resale
shows only that way, domain brief §2). Precedence, as the brief's table reads: an open
ownership makes an owner (a repeat owner from two vehicles on), an ended one a former
owner; then an order not yet delivered; then a quotation older than the sleeper threshold
that no order followed; then any buying signal (test ride, quotation); else a contact.
Run after every batch write, over every customer (or the ``$ids`` an update touched).
"""

from __future__ import annotations

from typing import LiteralString

SLEEPER_DAYS = 60  # domain brief §4.2: quotation + 60 days

_STAGE: LiteralString = """
CALL (p) {
  CALL (p) {
    OPTIONAL MATCH (p)-[:HAD]->(:Delivery)-[:ABOUT_VEHICLE]->(v:Vehicle)
    RETURN collect(DISTINCT v.vin) AS delivered
  }
  CALL (p) {
    OPTIONAL MATCH (p)-[o:OWNS]->(w:Vehicle)
    RETURN collect(DISTINCT w.vin) AS owned,
           collect(DISTINCT CASE WHEN o.ownedThrough IS NOT NULL
                                  AND o.ownedThrough <= date($asOf) THEN w.vin END) AS ended
  }
  WITH delivered + [v IN owned WHERE NOT v IN delivered] AS bought, ended
  WITH bought, [vin IN bought WHERE vin IN ended OR EXISTS {
         MATCH (q:Person)-[o2:OWNS]->(w:Vehicle {vin: vin})
         WHERE q <> p AND o2.certificationStatus IN ['certified', 'auto']
           AND o2.ownedFrom > coalesce(
             [(p)-[:HAD]->(d:Delivery)-[:ABOUT_VEHICLE]->(w) | date(d.at)][0],
             [(p)-[o:OWNS]->(w) | o.ownedFrom][0])
       }] AS gone
  WITH size(bought) AS bought, size(bought) - size(gone) AS open
  WITH p, bought, open,
       EXISTS { MATCH (p)-[:HAD]->(o:Order)
                WHERE NOT EXISTS { MATCH (p)-[:HAD]->(d:Delivery) WHERE d.at >= o.at } } AS waiting,
       EXISTS { MATCH (p)-[:HAD]->(q:Quotation)
                WHERE q.at < $asOf - duration({days: $sleeperDays})
                  AND NOT EXISTS { MATCH (p)-[:HAD]->(o:Order) WHERE o.at >= q.at } } AS sleeper,
       EXISTS { MATCH (p)-[:HAD]->(t) WHERE t:TestRide OR t:Quotation } AS signal
  SET p.lifecycleStage = CASE
    WHEN open >= 1 AND bought >= 2 THEN 'repeat_owner'
    WHEN open >= 1 THEN 'owner'
    WHEN bought >= 1 THEN 'former_owner'
    WHEN waiting THEN 'ordered'
    WHEN sleeper THEN 'sleeper_lead'
    WHEN signal THEN 'prospect'
    ELSE 'contact' END
}"""

# Every customer, after a batch write (needs an implicit transaction: session.run).
STAGES: LiteralString = "MATCH (p:Person)\n" + _STAGE + " IN TRANSACTIONS OF 5000 ROWS"

# The customers an incremental update wrote, inside its transaction.
STAGES_OF: LiteralString = "MATCH (p:Person) WHERE p.id IN $ids\n" + _STAGE
