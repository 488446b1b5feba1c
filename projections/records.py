"""What the read models hold, as the read side hands it out: one record type
per kind of row, and one way to turn a stored row into its record.

The SQL views import these; nothing here knows SQL. A record's fields are the
columns of its table (``projections.tables``) where it has one, so ``record``
fills it from a row by the fields' types: dates and times from their text,
decimals from text or numbers, JSON columns from text, months and statuses
from their names.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from domain.month import Month
from domain.periods import Status
from domain.register import Publication
from domain.scoring import Fact
from projections.calendar import WorkingCalendar

R = TypeVar("R")
NOW = 2**62  # an "as of" position later than any event


@dataclass(frozen=True)
class AgentRecord:
    agent_id: str
    name: str
    team: str
    supervisor: str
    joined_on: date | None
    registered_at: datetime
    position: int
    left_on: date | None = None

    def present_in(self, month: Month) -> bool:
        joined = self.joined_on is None or self.joined_on <= month.last_day
        return joined and (self.left_on is None or self.left_on >= month.first_day)

    def working_days_in(self, month: Month, calendar: WorkingCalendar) -> int:
        """The month's working days between joining and leaving."""
        first = max(self.joined_on or month.first_day, month.first_day)
        last = min(self.left_on or month.last_day, month.last_day)
        return calendar.working_days(first, last)


@dataclass(frozen=True)
class DeductionRecord:
    """A recorded deduction as recorded, with the agent's team, the month it
    counts in and where its disputes left it (``status``)."""

    deduction_id: str
    agent_id: str
    team: str
    month: str
    item: str
    occurred_on: date
    quantity: Decimal
    severity: str | None
    note: str
    evidence_ref: str | None
    recorded_by: str
    recorded_at: datetime
    event_id: str
    position: int
    status: str
    excluded: str | None = None
    """Why the deduction does not count (recorded into a closed month), if so."""


@dataclass(frozen=True)
class RankingEntry:
    """An agent present in the month: ranked, or listed unranked because they
    were present fewer working days than the rulebook's minimum."""

    agent_id: str
    name: str
    team: str
    total: Decimal
    rank: int | None
    present_days: int = 0


@dataclass(frozen=True)
class OrderRecord:
    order_no: str
    owner: str
    submitted_on: date
    amount: Decimal
    steps: list[dict[str, Any]]
    position: int


@dataclass(frozen=True)
class FactEntry:
    """A ledger row as history: the fact, what produced it, whether it counts."""

    fact: Fact
    source: str
    superseded_by: int | None
    excluded: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    """What the fact was, as the ledger keeps it: a deduction's note and
    evidence, a complaint's number and text, a metric's numerator, ..."""


@dataclass(frozen=True)
class PublicationRecord:
    """A published rulebook version as this generation of the read models sees it."""

    publication: Publication
    honoured: bool
    published_at: datetime | None
    position: int


@dataclass(frozen=True)
class PeriodRecord:
    month: Month
    status: Status
    history: list[dict[str, Any]]
    """Every close, publication and reopening: event, by, reason, at, position."""

    def publications(self) -> list[dict[str, Any]]:
        return [h for h in self.history if h["event"] == "published"]

    def as_of(self, position: int) -> PeriodRecord:
        history = [h for h in self.history if h["position"] <= position]
        status = Status(history[-1]["event"]) if history else Status.OPEN
        return PeriodRecord(self.month, status, history)


@dataclass(frozen=True)
class PlanRecord:
    month: str
    agent_id: str
    why: str
    actions: str
    submitted_by: str
    first_submitted_on: date
    submitted_on: date
    position: int


@dataclass(frozen=True)
class DisputeRecord:
    deduction_id: str
    number: int
    agent_id: str
    month: str
    disputed_by: str
    reviewer: str | None
    reason: str
    evidence: str | None
    proposed_quantity: int | None
    proposed_points: Decimal | None
    disputed_at: datetime
    disputed_position: int
    outcome: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolved_position: int | None
    note: str | None

    def open_at(self, position: int) -> bool:
        return self.disputed_position <= position and (
            self.resolved_position is None or self.resolved_position > position
        )


@dataclass(frozen=True)
class LogEntry:
    position: int
    topic: str
    at: datetime


# Rows to records


def record(cls: type[R], row: Any, **given: Any) -> R:
    """The record ``cls`` filled from ``row`` (a mapping of column names), each
    field converted by its declared type; ``given`` overrides fields."""
    values = {
        name: given[name] if name in given else _convert(kind, row[name])
        for name, kind in _field_types(cls)
        if name in given or name in row.keys()  # noqa: SIM118 - sqlite3.Row
    }
    return cls(**values)


@cache
def _field_types(cls: type[Any]) -> tuple[tuple[str, Any], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in fields(cls))


def _convert(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    target = kind
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        target = next(k for k in typing.get_args(kind) if k is not type(None))
    origin = typing.get_origin(target) or target
    if origin is datetime:
        return moment(value)
    if origin is date:
        return day(value)
    if origin is Decimal:
        return Decimal(str(value))
    if origin in (list, dict) and isinstance(value, str):
        return json.loads(value)
    if origin is Month:
        return Month.parse(value)
    if isinstance(origin, type) and issubclass(origin, Enum):
        return origin(value)
    return value


def day(value: Any) -> date:
    """A date from either database (a date, a datetime, or ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(value)


def moment_text(moment: datetime) -> str:
    """A UTC time as sortable text, the same in both databases."""
    # isoformat: strftime's text ("%Y-%m-%dT%H:%M:%S.%fZ"), made faster
    return _utc(moment).isoformat(timespec="microseconds")[:-6] + "Z"


def _utc(moment: datetime) -> datetime:
    return (
        moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    )


def moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
