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


def _luc(
    source: str, sid: str, email: str, events: tuple[str, ...] = ()
) -> SourceRecord:
    named = source != "survey"
    return SourceRecord(
        source=source,
        source_id=sid,
        updated_at="2024-05-01",
        first_name="Luc" if named else None,
        last_name="Martel" if named else None,
        email=email,
        phone=None,
        country="FR",
        preferred_dealer=None,
        email_key=email,
        phone_key=None,
        events=events,
    )


def test_a_ticket_s_event_counts_for_the_records_after_it_in_its_transaction() -> None:
    """Two tickets for one event, each under one of a person's two emails: each joins the
    customer its email names, and their review-band pair (same name, other emails) joins
    those customers by co-attendance, as a batch of everything does, though the first
    ticket's attendance is written to the graph only after the transaction."""
    post, inbox = "martel.luc@post.example.net", "luc.martel@inbox.example"
    account = _luc("dealer_crm", "A-1", post)
    survey = _luc("survey", "R-1", inbox, ("EV-1",))  # an answer about the event
    tickets = [
        _luc("ticketing", "T-1", post, ("EV-1",)),
        _luc("ticketing", "T-2", inbox, ("EV-1",)),
    ]
    res = resolve([*_records(), account, survey], SETTINGS)
    at = res.assignment()
    assert at[account.key] != at[survey.key]
    everything = resolve(
        [*_records(), account, survey, *tickets], SETTINGS, at, model=res.model
    )
    batch = everything.assignment()
    assert len({batch[r.key] for r in (account, survey, *tickets)}) == 1
    stored = {c.id: _candidate(c) for c in res.customers}
    stored[at[survey.key]] = replace(stored[at[survey.key]], events=frozenset({"EV-1"}))
    scorer = PairScorer(SETTINGS, res.model)
    overlay = Overlay(stored, junk=())
    for ticket in tickets:
        keys = block_keys(frame.row(ticket), SETTINGS)
        read = overlay.candidates([at[account.key], at[survey.key]], keys)
        outcome = resolve_one(ticket, read, SETTINGS, scorer)
        overlay.apply(ticket, keys, outcome)
    assert {r.key for r in outcome.customer.records} == {
        r.key for r in (account, survey, *tickets)
    }
    linked = {p.rule: p.reason for p in outcome.pairs if p.decision == "linked"}
    assert linked["co_attendance"] == "both at event EV-1"
