"""What a recorded fact contributes to scoring, before it has a log position.

Events record what happened; these small values say which rule items and
metrics that feeds. Each kind says once how it is kept in the ledger (a kind,
an item and a detail object) and which ``domain.facts`` fact scoring reads it
back as: the projection writes ``ledger()`` with the event's position, and
``positioned(row)`` turns a ledger row into the fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from domain.facts import Assessor, Fact, MetricSample, Occurred, Place, Rated


@dataclass(frozen=True)
class Occurs:
    """An occurrence of a rule item (a deduction, a credit)."""

    KIND: ClassVar[str] = "occurred"
    item: str
    quantity: Decimal = Decimal(1)
    severity: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    points: Decimal | None = None

    def ledger(self) -> dict[str, Any]:
        detail = {"quantity": str(self.quantity), **self.detail}
        if self.severity:
            detail["severity"] = self.severity
        if self.points is not None:
            detail["points"] = str(self.points)
        return {"kind": self.KIND, "item": self.item, "detail": detail}

    @staticmethod
    def positioned(
        place: Mapping[str, Any], item: str, detail: Mapping[str, Any]
    ) -> Fact:
        return Occurred(
            **place,
            item=item,
            quantity=Decimal(detail["quantity"]),
            severity=detail.get("severity"),
            points=Decimal(detail["points"]) if "points" in detail else None,
        )


@dataclass(frozen=True)
class Samples:
    """A part of a monthly metric."""

    KIND: ClassVar[str] = "sample"
    metric: str
    numerator: Decimal
    denominator: Decimal
    detail: dict[str, Any] = field(default_factory=dict)

    def ledger(self) -> dict[str, Any]:
        detail = {
            "numerator": str(self.numerator),
            "denominator": str(self.denominator),
            **self.detail,
        }
        return {"kind": self.KIND, "item": self.metric, "detail": detail}

    @staticmethod
    def positioned(
        place: Mapping[str, Any], item: str, detail: Mapping[str, Any]
    ) -> Fact:
        return MetricSample(
            **place,
            metric=item,
            numerator=Decimal(detail["numerator"]),
            denominator=Decimal(detail["denominator"]),
        )


@dataclass(frozen=True)
class Rates:
    """A rating of the agent by an assessor."""

    KIND: ClassVar[str] = "rated"
    assessor: str
    rater: str
    value: Decimal
    detail: dict[str, Any] = field(default_factory=dict)

    def ledger(self) -> dict[str, Any]:
        detail = {"rater": self.rater, "value": str(self.value), **self.detail}
        return {"kind": self.KIND, "item": self.assessor, "detail": detail}

    @staticmethod
    def positioned(
        place: Mapping[str, Any], item: str, detail: Mapping[str, Any]
    ) -> Fact:
        return Rated(
            **place,
            assessor=Assessor(item),
            rater=detail["rater"],
            value=Decimal(detail["value"]),
        )


Derived = Occurs | Samples | Rates
KINDS: dict[str, type[Derived]] = {k.KIND: k for k in (Occurs, Samples, Rates)}


def positioned(
    place: Place | Mapping[str, Any], kind: str, item: str, detail: Mapping[str, Any]
) -> Fact:
    """The fact scoring reads for a ledger row of ``kind``, at ``place`` (a
    ``Place``, or its fields: a read of many rows need not build one each)."""
    fields = vars(place) if isinstance(place, Place) else place
    return KINDS[kind].positioned(fields, item, detail)
