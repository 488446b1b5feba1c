"""What a recorded fact contributes to scoring, before it has a log position.

Events record what happened; these small values say which rule items and
metrics that feeds. The projection turns them into ledger rows with the event's
position; ``domain.scoring`` reads the rows back as ``Fact`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Occurs:
    """An occurrence of a rule item (a deduction, a credit)."""

    item: str
    quantity: Decimal = Decimal(1)
    severity: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    points: Decimal | None = None


@dataclass(frozen=True)
class Samples:
    """A part of a monthly metric."""

    metric: str
    numerator: Decimal
    denominator: Decimal
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rates:
    """A rating of the agent by an assessor."""

    assessor: str
    rater: str
    value: Decimal
    detail: dict[str, Any] = field(default_factory=dict)


Derived = Occurs | Samples | Rates
