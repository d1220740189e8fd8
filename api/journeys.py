"""Journey analytics in the GraphQL API: ``funnel`` and ``sleeperLeads`` (one query each)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.execute import UserError, run_read
from graph.cypher import journeys as cypher
from ontology.model import Ontology

MAX_STAGES, MAX_DEALERS = 10, 1000
NOT_STEPS = (
    "Communication",
    "SurveyResponse",
    "Case",
)  # they accompany a journey, not steps of it


@strawberry.type(
    description="One funnel stage: who reached it after the stages before it."
)
class FunnelStage:
    stage: str
    customers: int
    conversion: float | None = strawberry.field(
        description="customers / customers of the previous stage; null for the first"
    )
    drop_off: float | None = strawberry.field(description="1 - conversion")
    median_days: float | None = strawberry.field(
        description="Median days from the previous stage to this one"
    )


@strawberry.type(
    description="A sequence of touchpoint kinds and how many customers took it."
)
class JourneyPath:
    path: list[str]
    customers: int


@strawberry.type(description="How many sleeper leads carry a rejection reason.")
class ReasonCount:
    reason: str
    count: int


@strawberry.type(description="A dealer's quotations that no order followed in time.")
class SleeperLeads:
    dealer: str
    leads: int
    reasons: list[ReasonCount]


def journey_queries(model: Ontology) -> dict[str, Any]:
    kinds = {n.name for n in model.subclasses("Touchpoint") if not n.abstract}

    async def funnel(
        info: Info,
        stages: list[str],
        dealer: str | None = None,
        country: str | None = None,
        model_code: Annotated[str | None, strawberry.argument(name="model")] = None,
        from_: Annotated[dt.datetime | None, strawberry.argument(name="from")] = None,
        until: dt.datetime | None = None,
    ) -> list[FunnelStage]:
        """Customers reaching each stage in order (each after the one before), with
        conversion, drop-off and the median days between stages."""
        if not 1 <= len(stages) <= MAX_STAGES or len(set(stages)) != len(stages):
            raise UserError(
                f"stages must be 1 to {MAX_STAGES} distinct touchpoint kinds"
            )
        unknown = sorted(set(stages) - kinds)
        if unknown:
            raise UserError(
                f"unknown stages {unknown}; touchpoint kinds are {', '.join(sorted(kinds))}"
            )
        params = {
            "stages": stages,
            "dealer": dealer,
            "country": country,
            "model": model_code,
            "from": from_.replace(tzinfo=None) if from_ else None,
            "to": until.replace(tzinfo=None) if until else None,
        }
        reached = {r["stage"]: r for r in await run_read(info, cypher.FUNNEL, params)}
        out, before = [], None
        for i, stage in enumerate(stages):
            row = reached.get(i)
            n = row["customers"] if row else 0
            conversion: float | None = (
                None if before is None else (n / before if before else 0.0)
            )
            out.append(
                FunnelStage(
                    stage=stage,
                    customers=n,
                    conversion=None if conversion is None else round(conversion, 4),
                    drop_off=None if conversion is None else round(1 - conversion, 4),
                    median_days=row["medianDays"] if row and i else None,
                )
            )
            before = n
        return out

    async def sleeper_leads(
        info: Info, days: int = 60, dealer: str | None = None, first: int = 100
    ) -> list[SleeperLeads]:
        """Quotations older than ``days`` that no order by the same customer followed
        within ``days`` (domain brief: 60), by dealer, with the rejection reasons."""
        if not 1 <= days <= 3650:
            raise UserError("days must be between 1 and 3650")
        if not 1 <= first <= MAX_DEALERS:
            raise UserError(f"first must be between 1 and {MAX_DEALERS}")
        rows = await run_read(
            info, cypher.SLEEPERS, {"days": days, "dealer": dealer, "limit": first}
        )
        return [
            SleeperLeads(
                dealer=r["dealer"],
                leads=r["leads"],
                reasons=[
                    ReasonCount(reason=x["reason"], count=x["count"])
                    for x in r["reasons"]
                ],
            )
            for r in rows
        ]

    async def journey_paths(
        info: Info,
        to: str = "Order",
        from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        country: str | None = None,
        first: int = 10,
    ) -> list[JourneyPath]:
        for kind in (to, from_):
            if kind is not None and kind not in kinds:
                raise UserError(
                    f"unknown touchpoint kind {kind!r}; kinds are {', '.join(sorted(kinds))}"
                )
        if not 1 <= first <= MAX_DEALERS:
            raise UserError(f"first must be between 1 and {MAX_DEALERS}")
        params = {
            "to": to,
            "from": from_,
            "country": country,
            "skip": list(NOT_STEPS),
            "limit": first,
        }
        rows = await run_read(info, cypher.PATHS, params)
        return [
            JourneyPath(path=list(r["path"]), customers=r["customers"]) for r in rows
        ]

    return {
        "journeyPaths": strawberry.field(
            name="journeyPaths",
            resolver=journey_paths,
            description="The most frequent sequences of touchpoint kinds from a customer's "
            "first touchpoint (or one of kind `from`) to their first of kind `to` (default "
            "Order), repeats collapsed, messages and survey answers left out.",
        ),
        "funnel": strawberry.field(
            name="funnel",
            resolver=funnel,
            description="Customers reaching each stage (touchpoint kinds) in order, each after "
            "the one before, with conversion, drop-off and median days between stages; "
            "filtered by dealer, customer country, model and a time window.",
        ),
        "sleeperLeads": strawberry.field(
            name="sleeperLeads",
            resolver=sleeper_leads,
            description="Quotations older than `days` (default 60) that no order by the same "
            "customer followed within `days`, by dealer, with the rejection reasons.",
        ),
    }
