"""A nameless record a batch held out as ambiguous stays out when a named record arrives."""

from __future__ import annotations

from dataclasses import replace

from linkage import frame
from linkage import settings as linkage_settings
from linkage.blocks import block_keys
from linkage.incremental import Candidate, Overlay, resolve_one
from linkage.pairscore import PairScorer
from linkage.records import SourceRecord
from linkage.resolve import AMBIGUOUS, resolve
from tests.linkage.test_resolve import _person_record, _records

SETTINGS = linkage_settings.default()


def _record(source: str, sid: str, first: str | None, last: str | None) -> SourceRecord:
    """A record of a couple's shared email, as ``test_resolve`` makes them."""
    return _person_record(source, sid, first, last, ())


def test_a_named_record_does_not_take_a_survey_a_couple_s_email_leaves_unsettled() -> (
    None
):
    anna = _record("dealer_crm", "A-1", "Annalisa", "Bortolotti")
    marco = _record("dealer_crm", "A-2", "Marco", "Bortolotti")
    survey = _record("survey", "R-1", None, None)
    res = resolve([*_records(), anna, marco, survey], SETTINGS)
    at = res.assignment()
    assert len({at[anna.key], at[marco.key], at[survey.key]}) == 3
    held = {
        k
        for e in res.pairs
        if e.reason == AMBIGUOUS
        for k in (e.a, e.b)
        if k == survey.key
    }
    assert held == {survey.key}  # the batch held it out
    stored = {
        c.id: Candidate(
            c.id,
            c.records,
            {x.record: x for x in c.links},
            ambiguous=frozenset(r.key for r in c.records if r.key in held),
        )
        for c in res.customers
    }
    scorer = PairScorer(SETTINGS, res.model)
    ticket = _record("ticketing", "T-9", "Annalisa", "Bortolotti")
    read = [at[anna.key], at[marco.key], at[survey.key]]

    def decide(candidates: dict[str, Candidate]) -> set[str]:
        outcome = resolve_one(ticket, [candidates[c] for c in read], SETTINGS, scorer)
        review = {e.b for e in outcome.pairs if e.reason == AMBIGUOUS}
        assert (survey.key in review) == bool(candidates[at[survey.key]].ambiguous)
        return {at[r.key] for r in outcome.customer.records if r.key != ticket.key}

    # She joins her own customer; the survey stays out, for review.
    assert decide(stored) == {at[anna.key]}
    # Without the batch's verdict, the email and the blank name would pull it in.
    unheld = {
        **stored,
        at[survey.key]: replace(stored[at[survey.key]], ambiguous=frozenset()),
    }
    assert decide(unheld) == {at[anna.key], at[survey.key]}


def test_a_survey_held_out_earlier_in_the_transaction_stays_out() -> None:
    anna = _record("dealer_crm", "A-1", "Annalisa", "Bortolotti")
    marco = _record("dealer_crm", "A-2", "Marco", "Bortolotti")
    res = resolve([*_records(), anna, marco], SETTINGS)
    at = res.assignment()
    stored = {
        c.id: Candidate(c.id, c.records, {x.record: x for x in c.links})
        for c in res.customers
    }
    scorer = PairScorer(SETTINGS, res.model)
    overlay = Overlay(stored, junk=())

    def decide(record: SourceRecord, read: list[str]) -> set[str]:
        keys = block_keys(frame.row(record), SETTINGS)
        outcome = resolve_one(record, overlay.candidates(read, keys), SETTINGS, scorer)
        overlay.apply(record, keys, outcome)
        return {r.key for r in outcome.customer.records}

    survey = _record("survey", "R-1", None, None)
    assert decide(survey, [at[anna.key], at[marco.key]]) == {survey.key}
    ticket = _record("ticketing", "T-9", "Annalisa", "Bortolotti")
    assert decide(ticket, [at[anna.key], at[marco.key]]) == {ticket.key, anna.key}
