"""KPI queries of the GraphQL API: NPS summaries (each request is one Cypher query)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.execute import UserError, run_read
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
    rows = await run_read(info, cypher.nps_query(by.value), params)
    return [
        NpsGroup(
            key=str(r["key"]),
            responses=r["responses"],
            promoters=r["promoters"],
            passives=r["passives"],
            detractors=r["detractors"],
            nps=round(float(r["nps"]), 2),
        )
        for r in rows
    ]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Touchpoint times are stored as local date-times (the sources give no zone)."""
    return value.replace(tzinfo=None) if value is not None else None


def kpi_queries() -> dict[str, Any]:
    return {
        "npsSummary": strawberry.field(
            name="npsSummary",
            resolver=nps_summary,
            description="NPS summaries, largest groups first.",
        )
    }
