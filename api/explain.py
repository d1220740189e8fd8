"""``explanations``: every machine-computed value of a node, labelled as such, with the
inputs it was computed from and how (the ontology's ``c360:derivedFrom`` and comment).

A type gets the field when any of its properties has ``c360:derivedFrom`` (a Person: its
RFM scores and label, CLV, referral influence, lifecycle stage). The query projects the
values of those properties and of their inputs; this module shapes them, masking personal
data the caller's role may not read in clear, like every other field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types import Info

from api.access import mask_of, scope_of
from api.execute import native
from graph.compile import EXPLANATIONS
from ontology.graphql import GqlScalarField, GqlType

FIELD = EXPLANATIONS  # graph.compile projects the values for it


@strawberry.type(description="One input of a machine-computed value, as stored.")
class ExplanationInput:
    field: str
    value: str | None
    description: str


@strawberry.type(
    description="A value the service computed (a score, a label, a stage), what it was "
    "computed from, and how."
)
class Explanation:
    field: str
    value: str | None
    how: str = strawberry.field(description="The method, from the ontology")
    machine_generated: bool = strawberry.field(
        description="Always true: the value was computed by the service, not given by "
        "the customer or a source system"
    )
    inputs: list[ExplanationInput]


def resolver(type_: GqlType) -> Callable[..., list[Explanation]]:
    by_name = {s.name: s for s in type_.scalars}
    computed = type_.computed

    def resolve(root: Any, info: Info) -> list[Explanation]:
        values = root.get(info.path.key) if isinstance(root, dict) else None
        values = values or {}
        scope, mask = scope_of(info), mask_of(info)

        def shown(field: GqlScalarField) -> str | None:
            value = native(values.get(field.name))
            if field.pii and not scope.shows(field.purposes):
                value = mask(value)
            if value is None:
                return None
            if isinstance(value, dt.date | dt.datetime):
                return value.isoformat()
            return str(value)

        return [
            Explanation(
                field=s.name,
                value=shown(s),
                how=s.description,
                machine_generated=True,
                inputs=[
                    ExplanationInput(
                        field=i,
                        value=shown(by_name[i]),
                        description=by_name[i].description,
                    )
                    for i in s.derived_from or ()
                ],
            )
            for s in computed
            if values.get(s.name) is not None
        ]

    return resolve
