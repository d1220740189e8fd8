"""Records sharing a transaction: each is decided over the customers as the records before
it left them (``Overlay``), though all their candidates were read before any was written."""

from __future__ import annotations

from dataclasses import replace

from linkage import frame
from linkage import settings as linkage_settings
from linkage.blocks import block_keys
from linkage.incremental import Candidate, Overlay, resolve_one
from linkage.pairscore import PairScorer
from linkage.records import SourceRecord
from linkage.resolve import Customer, resolve
from tests.linkage.test_resolve import _records

SETTINGS = linkage_settings.default()


def _anna(
    source: str,
    sid: str,
    email: str | None,
    phone: str | None,
    family: str = "Bortolotti",
) -> SourceRecord:
    return SourceRecord(
        source=source,
        source_id=sid,
        updated_at="2024-05-01",
        first_name="Annalisa",
        last_name=family,
        email=email,
        phone=phone,
        country="IT",
        preferred_dealer=None,
        email_key=email,
        phone_key=phone,
    )


def _candidate(c: Customer) -> Candidate:
    return Candidate(c.id, c.records, {x.record: x for x in c.links})


def test_a_record_reaches_a_customer_merged_earlier_in_its_transaction() -> None:
    home, work, mobile = (
        "annalisa.b@mail.example.it",
        "a.bortolotti@work.example",
        "+393331112233",
    )
    by_email = [
        _anna("dealer_crm", "A-1", home, None),
        _anna("ticketing", "T-1", home, None),
    ]
    by_phone = _anna("web_form", "W-1", work, mobile)
    # Among the hand-made records, so the model has enough pairs to train on.
    res = resolve([*_records(), *by_email, by_phone], SETTINGS)
    at = res.assignment()
    kept, absorbed = at[by_email[0].key], at[by_phone.key]
    assert kept != absorbed  # nothing links them yet
    stored = {c.id: _candidate(c) for c in res.customers}
    # Events their touchpoints place them at (a merge hands the touchpoints over).
    stored[kept] = replace(stored[kept], events=frozenset({"EV-1"}))
    stored[absorbed] = replace(stored[absorbed], events=frozenset({"EV-2"}))
    scorer = PairScorer(SETTINGS, res.model)
    overlay = Overlay(stored, junk=())

    def decide(record: SourceRecord, read: list[str]) -> Customer:
        keys = block_keys(frame.row(record), SETTINGS)
        outcome = resolve_one(record, overlay.candidates(read, keys), SETTINGS, scorer)
        overlay.apply(record, keys, outcome)
        return outcome.customer

    # Both contact points: the two customers merge; the one with more records stays.
    assert decide(_anna("owner_app", "u-1", home, mobile), [kept, absorbed]).id == kept
    (now,) = overlay.candidates([kept, absorbed], [])
    assert now.events == {"EV-1", "EV-2"}
    # The next record's read (made before the merge) found only the absorbed customer,
    # through a record of it that no record of this transaction shares a key with (her
    # work email; her married name is not among this transaction's name keys).
    married = _anna("service", "S-1", work, None, family="Rossi")
    assert decide(married, [absorbed]).id == kept
    # A record no read found, made in the same transaction, is found by its keys.
    assert decide(_anna("club", "C-1", None, mobile), []).id == kept
    # What is written: the one customer, with the one it absorbed as a former ID.
    (final,) = overlay.written()
    assert final.id == kept and final.absorbed == (absorbed,)
    assert len(final.records) == 6
