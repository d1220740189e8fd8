"""KPI queries of the GraphQL API: NPS summaries, dealer and club KPIs (one Cypher query each)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.execute import UserError, run_read
from api.journeys import ReasonCount
from graph.cypher import kpis as cypher

MAX_GROUPS = 1000


@strawberry.enum(description="What NPS answers are grouped by.")
class NpsGrouping(enum.Enum):
    DEALER = "DEALER"
    CLUB = "CLUB"
    EVENT = "EVENT"
    MODEL = "MODEL"
    CHECKPOINT = "CHECKPOINT"
    COUNTRY = "COUNTRY"


@strawberry.type(
    description="NPS of one group: 100 x (promoters - detractors) / responses, "
    "promoters answering 9-10, detractors 0-6."
)
class NpsGroup:
    key: str
    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float


async def nps_summary(
    info: Info,
    by: NpsGrouping,
    key: str | None = None,
    checkpoint: str | None = None,
    from_: Annotated[dt.datetime | None, strawberry.argument(name="from")] = None,
    until: dt.datetime | None = None,
    first: int = 100,
) -> list[NpsGroup]:
    """NPS per dealer, club, event, model, checkpoint or respondent country; ``key``
    keeps one group, ``checkpoint`` one survey checkpoint, ``from``/``until`` a time window."""
    if not 1 <= first <= MAX_GROUPS:
        raise UserError(f"first must be between 1 and {MAX_GROUPS}")
    params = {
        "key": key,
        "checkpoint": checkpoint,
        "from": _local(from_),
        "to": _local(until),
        "limit": first,
    }
    return _nps_rows(await run_read(info, cypher.nps_query(by.value), params))


QUOTATION_HORIZON_DAYS = 60  # domain brief §7: quotation -> order within 60 days
SLEEPER_RECOVERY_DAYS = 365  # domain brief §6: sleeper -> order within 365 days
APP_ADOPTION_DAYS = 90  # domain brief §6: app within 90 days of delivery
DETRACTOR_SLA_HOURS = 24  # domain brief §7: detractors called back within 24 h
DETRACTOR_RECOVERY_DAYS = (
    365  # §7: or a later score >= 7 on the subject within 12 months
)
DETRACTOR_CASE_DAYS = 7  # an answer's care cases: opened within 7 days after it


def _nps_rows(rows: list[dict[str, Any]]) -> list[NpsGroup]:
    """Counts per group from Cypher -> NPS groups (the one place NPS is computed)."""
    return [
        NpsGroup(
            key=str(r["key"]),
            responses=r["responses"],
            promoters=r["promoters"],
            passives=r["responses"] - r["promoters"] - r["detractors"],
            detractors=r["detractors"],
            nps=round(100.0 * (r["promoters"] - r["detractors"]) / r["responses"], 2),
        )
        for r in rows
        if r["key"] is not None
    ]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@strawberry.type(
    description="A dealer's KPIs (domain brief §7). A customer of the dealer has an open "
    "ownership of a vehicle ordered there, or prefers it."
)
class DealerKpis:
    code: str
    customers: int
    club_members: int = strawberry.field(
        description="Customers who are active members of a club affiliated with the dealer."
    )
    club_penetration: float | None = strawberry.field(
        description="clubMembers / customers; null without customers."
    )
    quoted: int = strawberry.field(
        description="People with a quotation at the dealer in the window."
    )
    ordered: int = strawberry.field(
        description="Of those, people who ordered there within 60 days of their first "
        "quotation in the window."
    )
    quotation_to_order_rate: float | None = strawberry.field(
        description="ordered / quoted; null without quotations."
    )
    sleeper_leads: int = strawberry.field(
        description="People with a quotation at the dealer in the window that no order "
        "there followed within 60 days."
    )
    recovered_sleeper_leads: int = strawberry.field(
        description="Of those, people who ordered there later, within 365 days of their "
        "first such quotation."
    )
    sleeper_recovery_rate: float | None = strawberry.field(
        description="recoveredSleeperLeads / sleeperLeads; null without sleeper leads."
    )
    sleeper_reasons: list[ReasonCount] = strawberry.field(
        description="The sleeper quotations' rejection reasons (count = quotations), most "
        "frequent first."
    )
    new_owners: int = strawberry.field(
        description="People with a delivery at the dealer in the window."
    )
    app_adoption: float | None = strawberry.field(
        description="Share of new owners with the owner app within 90 days of their first "
        "delivery there; null without deliveries."
    )
    detractors: int = strawberry.field(
        description="Answers of 0-6 about the dealer in the window."
    )
    detractors_called_back: int = strawberry.field(
        description="Of those, answers whose care case (the same person's case at the "
        "dealer opened within 7 days after it) called the person back within 24 hours of "
        "the answer."
    )
    detractor_sla: float | None = strawberry.field(
        description="detractorsCalledBack / detractors; null without detractors. The "
        "brand's benchmark: call-back within 24 h."
    )
    recovered_detractors: int = strawberry.field(
        description="Of the detractor answers, those whose care case closed "
        "'recovered', or whose person answered about the dealer again with 7-10 within "
        "12 months."
    )
    detractor_recovery_rate: float | None = strawberry.field(
        description="recoveredDetractors / detractors; null without detractors. The "
        "brand's benchmark: above 80%."
    )
    nps: list[NpsGroup] = strawberry.field(
        description="NPS of answers about the dealer, per checkpoint (pre-sales, "
        "purchase, service...)."
    )


@strawberry.type(description="A club's KPIs (domain brief §7).")
class ClubKpis:
    code: str
    dealer: str | None = strawberry.field(description="The affiliated dealer's code.")
    members: int
    active_members: int
    dealer_customers: int = strawberry.field(
        description="Customers of the affiliated dealer."
    )
    customer_members: int = strawberry.field(
        description="Of those, active members of this club."
    )
    penetration: float | None = strawberry.field(
        description="customerMembers / dealerCustomers; null without a dealer or customers."
    )
    nps: list[NpsGroup] = strawberry.field(
        description="NPS of answers about the club or the events it organised, per checkpoint."
    )


def _window(
    from_: dt.datetime | None, until: dt.datetime | None
) -> dict[str, dt.datetime | None]:
    return {"from": _local(from_), "to": _local(until)}


async def dealer_kpis(
    info: Info,
    code: str,
    from_: Annotated[dt.datetime | None, strawberry.argument(name="from")] = None,
    until: dt.datetime | None = None,
) -> DealerKpis | None:
    """KPIs of the dealer with this code (quotations and answers in ``from``/``until``),
    or null for an unknown code."""
    params = {
        "code": code,
        "horizon": QUOTATION_HORIZON_DAYS,
        "recovery": SLEEPER_RECOVERY_DAYS,
        "appDays": APP_ADOPTION_DAYS,
        "caseDays": DETRACTOR_CASE_DAYS,
        "slaHours": DETRACTOR_SLA_HOURS,
        "recoveryDays": DETRACTOR_RECOVERY_DAYS,
        **_window(from_, until),
    }
    rows = await run_read(info, cypher.DEALER, params)
    if not rows:
        return None
    r = rows[0]
    return DealerKpis(
        code=r["code"],
        customers=r["customers"],
        club_members=r["clubMembers"],
        club_penetration=_share(r["clubMembers"], r["customers"]),
        quoted=r["quoted"],
        ordered=r["converted"],
        quotation_to_order_rate=_share(r["converted"], r["quoted"]),
        sleeper_leads=r["sleepers"],
        recovered_sleeper_leads=r["recoveredSleepers"],
        sleeper_recovery_rate=_share(r["recoveredSleepers"], r["sleepers"]),
        sleeper_reasons=[
            ReasonCount(reason=x["reason"], count=x["count"])
            for x in r["sleeperReasons"]
        ],
        new_owners=r["newOwners"],
        app_adoption=_share(r["withApp"], r["newOwners"]),
        detractors=r["detractors"],
        detractors_called_back=r["calledBack"],
        detractor_sla=_share(r["calledBack"], r["detractors"]),
        recovered_detractors=r["recoveredDetractors"],
        detractor_recovery_rate=_share(r["recoveredDetractors"], r["detractors"]),
        nps=_nps_rows(r["nps"]),
    )


async def club_kpis(
    info: Info,
    code: str,
    from_: Annotated[dt.datetime | None, strawberry.argument(name="from")] = None,
    until: dt.datetime | None = None,
) -> ClubKpis | None:
    """KPIs of the club with this code (answers in ``from``/``until``), or null for an
    unknown code."""
    rows = await run_read(info, cypher.CLUB, {"code": code, **_window(from_, until)})
    if not rows:
        return None
    r = rows[0]
    return ClubKpis(
        code=r["code"],
        dealer=r["dealer"],
        members=r["members"],
        active_members=r["active"],
        dealer_customers=r["dealerCustomers"],
        customer_members=r["customerMembers"],
        penetration=_share(r["customerMembers"], r["dealerCustomers"]),
        nps=_nps_rows(r["nps"]),
    )


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Touchpoint times are stored as local date-times (the sources give no zone)."""
    return value.replace(tzinfo=None) if value is not None else None


def kpi_queries() -> dict[str, Any]:
    return {
        "npsSummary": strawberry.field(
            name="npsSummary",
            resolver=nps_summary,
            description="NPS summaries, largest groups first.",
        ),
        "dealerKpis": strawberry.field(
            name="dealerKpis",
            resolver=dealer_kpis,
            description="A dealer's customers, club penetration, quotation-to-order "
            "rate and NPS per checkpoint; null for an unknown code.",
        ),
        "clubKpis": strawberry.field(
            name="clubKpis",
            resolver=club_kpis,
            description="A club's members, penetration among its dealer's customers and "
            "NPS; null for an unknown code.",
        ),
    }
