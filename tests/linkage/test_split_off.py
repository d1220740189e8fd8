"""A new record that contradicts a customer splits it as a batch of everything would."""

from __future__ import annotations

from linkage import settings as linkage_settings
from linkage.incremental import Candidate, resolve_one
from linkage.pairscore import PairScorer
from linkage.records import SourceRecord
from linkage.resolve import MANUAL_MERGE, Decisions, Resolution, resolve
from tests.linkage.test_resolve import _person_record, _records

SETTINGS = linkage_settings.default()


def _quintus(
    source: str, sid: str, email: str, birth: str | None = None
) -> SourceRecord:
    """One of two namesakes at one dealer in Zürich: a Quintus Oyelaran."""
    attributes = [("postcode", "8001")]
    if birth:
        attributes.append(("birthDate", birth))
    return SourceRecord(
        source=source,
        source_id=sid,
        updated_at="2024-05-01",
        first_name="Quintus",
        last_name="Oyelaran",
        email=email,
        phone="+41791234567" if source == "dealer_crm" else None,
        country="CH",
        preferred_dealer="CH-001",
        email_key=email,
        phone_key="+41791234567" if source == "dealer_crm" else None,
        attributes=tuple(sorted(attributes)),
    )


# The elder's dealer account; the younger one's web form and ticket, from another address
# that the model reads as one written two ways (so it merges them with the elder's account
# while nothing tells them apart); then the younger one's own dealer account, with his
# email and a birth date 15 years after the elder's.
ELDER = _quintus("dealer_crm", "A-1", "quintus.oyelaran@example.org", "1970-01-01")
FORM = _quintus("web_form", "W-1", "quintusoyelaran@example.org")
TICKET = _quintus("ticketing", "T-1", "quintusoyelaran@example.org")
YOUNGER = _quintus("dealer_crm", "A-2", "quintusoyelaran@example.org", "1985-05-05")


def _stored(res: Resolution) -> dict[str, Candidate]:
    return {
        c.id: Candidate(c.id, c.records, {x.record: x for x in c.links})
        for c in res.customers
    }


def _parts(assignment: dict[tuple[str, str], str]) -> set[frozenset[str]]:
    """The namesakes' records grouped by customer."""
    by: dict[str, set[str]] = {}
    for r in (ELDER, FORM, TICKET, YOUNGER):
        if r.key in assignment:
            by.setdefault(assignment[r.key], set()).add(r.source_id)
    return {frozenset(p) for p in by.values()}


def test_a_contradicting_record_splits_a_customer_as_a_batch_of_everything_does() -> (
    None
):
    first = resolve([*_records(), ELDER, FORM, TICKET], SETTINGS)
    at = first.assignment()
    assert _parts(at) == {frozenset({"A-1", "W-1", "T-1"})}  # merged on a scored pair
    merged = at[ELDER.key]
    everything = resolve(
        [*_records(), ELDER, FORM, TICKET, YOUNGER], SETTINGS, at, model=first.model
    )
    batch = _parts(everything.assignment())
    assert batch == {frozenset({"A-1"}), frozenset({"A-2", "W-1", "T-1"})}

    scorer = PairScorer(SETTINGS, first.model)
    outcome = resolve_one(YOUNGER, [_stored(first)[merged]], SETTINGS, scorer)
    assert outcome.left is not None and not outcome.absorbed
    mine, left = outcome.customer, outcome.left
    placed = {r.key: mine.id for r in mine.records} | {
        r.key: left.id for r in left.records
    }
    assert _parts(placed) == batch
    # The part with more records keeps the ID; the other gets a new one, with lineage.
    assert mine.id == merged and left.split_from == (merged,)
    assert outcome.split == ((ELDER.key, merged),)  # the record that changed customer
    assert left.id == everything.assignment()[ELDER.key]  # minted as a batch mints it
    # The evidence: the record's links, and the customer's link that no longer holds.
    decided = {(p.a, p.b): (p.decision, p.reason) for p in outcome.pairs}
    assert decided[(YOUNGER.key, FORM.key)][0] == "linked"
    assert decided[(ELDER.key, FORM.key)] == ("separated", "different birth_date")
    links = {link.record: link.matched for link in mine.links}
    assert links[YOUNGER.key] in {FORM.key, TICKET.key}
    assert {link.record: link.rule for link in left.links} == {ELDER.key: "seed"}


def test_a_record_the_customer_does_not_contradict_joins_it_whole() -> None:
    first = resolve([*_records(), ELDER, FORM, TICKET], SETTINGS)
    merged = first.assignment()[ELDER.key]
    scorer = PairScorer(SETTINGS, first.model)
    agreeing = _quintus(
        "dealer_crm", "A-2", "quintusoyelaran@example.org", "1970-01-01"
    )
    outcome = resolve_one(agreeing, [_stored(first)[merged]], SETTINGS, scorer)
    assert outcome.left is None and not outcome.split
    assert outcome.customer.id == merged and len(outcome.customer.records) == 4


def test_a_customer_merged_by_hand_is_not_split() -> None:
    """A merge decided by a person is not undone by a record's evidence: the record stays
    refused, for review, as before."""
    first = resolve(
        [*_records(), ELDER, FORM, TICKET],
        SETTINGS,
        decisions=Decisions(merge=((ELDER.key, FORM.key),)),
    )
    merged = first.assignment()[ELDER.key]
    stored = _stored(first)[merged]
    assert MANUAL_MERGE in {link.rule for link in stored.links.values()}
    scorer = PairScorer(SETTINGS, first.model)
    outcome = resolve_one(YOUNGER, [stored], SETTINGS, scorer)
    assert outcome.left is None and not outcome.split
    assert [r.key for r in outcome.customer.records] == [YOUNGER.key]
    assert any(p.decision == "separated" for p in outcome.pairs)


def test_a_partner_s_record_does_not_take_a_survey_a_couple_s_email_shares() -> None:
    """A survey answered from a couple's shared email joined the one partner a batch
    knew. When the other partner's record arrives, nothing says whose the survey is: a
    batch of everything holds it for review, so the incremental run does not split it
    off to the newcomer either; the newcomer stays a customer of their own."""
    anna = _person_record("dealer_crm", "A-1", "Annalisa", "Bortolotti", ())
    survey = _person_record("survey", "R-1", None, None, ())
    marco = _person_record("dealer_crm", "A-2", "Marco", "Bortolotti", ())
    first = resolve([*_records(), anna, survey], SETTINGS)
    at = first.assignment()
    assert at[anna.key] == at[survey.key]
    scorer = PairScorer(SETTINGS, first.model)
    outcome = resolve_one(marco, [_stored(first)[at[anna.key]]], SETTINGS, scorer)
    assert outcome.left is None and not outcome.split
    assert [r.key for r in outcome.customer.records] == [marco.key]
