"""Observations: facts recorded by the performance software, the order system or
a supervisor — chat statistics, clock records, exam results, spot checks and
simulated receptions, monitoring-report submissions, complaints and promotion
activities.

Each observation has a natural key (the agent, the business date and, for most
kinds, a reference), so importing the same file twice adds nothing, and a row
that differs from what was recorded is kept as a correction, never a silent
overwrite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.derived import Derived, Occurs, Samples

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:observation")
ONE = Decimal(1)


@dataclass(frozen=True)
class Field:
    """A field of a kind: its name in the stored values, its type and what it
    means; a number's bounds and the step its values take (``step``: a
    multiple of it), a text's choices or its longest length; the value it
    takes when it is not given (None: it must be given); and the name it goes
    by in requests and files, if not its own (``called``)."""

    name: str
    type: type
    meaning: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    max_length: int = 2000
    called: str | None = None
    step: Decimal | None = None

    @property
    def public(self) -> str:
        """The field's name in requests and files."""
        return self.called or self.name

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Kind:
    """A kind of imported record: its fields, its natural key, what it feeds."""

    name: str
    meaning: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    derive: Callable[[Mapping[str, Any]], list[Derived]]
    self_service: bool = False
    """Agents may record this kind about themselves."""

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _chat(values: Mapping[str, Any]) -> list[Derived]:
    consultations = Decimal(values["consultations"])
    return [
        Samples("conversion_rate", Decimal(values["conversions"]), consultations),
        Samples(
            "response_seconds",
            Decimal(values["avg_response_seconds"]) * consultations,
            consultations,
        ),
        Samples("churn_rate", Decimal(values["customers_lost"]), consultations),
    ]


def _clock(values: Mapping[str, Any]) -> list[Derived]:
    derived: list[Derived] = []
    incidents = (values["late_minutes"] > 0) + (values["early_leave_minutes"] > 0)
    if incidents:
        derived.append(Occurs("late_early", Decimal(incidents)))
    if Decimal(values["leave_days"]) > 0:
        derived.append(Occurs("leave_day", Decimal(values["leave_days"])))
    return derived


def _exam(values: Mapping[str, Any]) -> list[Derived]:
    return [
        Samples("exam_score", Decimal(values["score"]), ONE, {"exam": values["exam"]})
    ]


def _spot_check(values: Mapping[str, Any]) -> list[Derived]:
    if values["passed"]:
        return []
    detail = {"check": values["check"], "kind": values["kind"], "note": values["note"]}
    return [Occurs("attitude_fault", detail=detail)]


COMPLAINT_ITEM = "complaint"
SEVERITIES = ("normal", "severe")
CHANNELS = {
    "own_channel": "soft article on a self-built channel",
    "paid_article": "paid soft article on the company platform",
    "brand_post": "brand post on a self-media platform",
    "friends": "likely customers added as QQ/WeChat friends",
    "moments": "service account moments/space maintained",
}


def credit_item(channel: str) -> str:
    """The rule item a promotion channel's activity counts towards."""
    return f"promo_{channel}"


def _complaint(values: Mapping[str, Any]) -> list[Derived]:
    severity = None if values["severity"] == "normal" else values["severity"]
    detail = {
        "complaint": values["complaint"],
        "order_no": values["order_no"],
        "description": values["description"],
    }
    return [
        Occurs(COMPLAINT_ITEM, ONE, severity, detail),
        Samples("complaint_share", ONE, Decimal(0)),
    ]


def _promotion(values: Mapping[str, Any]) -> list[Derived]:
    detail = {
        "channel": values["channel"],
        "reference": values["reference"],
        "note": values["note"],
    }
    return [Occurs(credit_item(values["channel"]), detail=detail)]


def _report(values: Mapping[str, Any]) -> list[Derived]:
    failures = (
        ("on_time", "report_late"),
        ("complete", "report_incomplete"),
        ("truthful", "report_untruthful"),
    )
    return [
        Occurs(item, detail={"report": values["report"]})
        for flag, item in failures
        if not values[flag]
    ]


_COUNT = Decimal(0)
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "chat",
            "chat statistics of an agent-day",
            (
                Field("consultations", int, "consultations handled", minimum=_COUNT),
                Field(
                    "conversions",
                    int,
                    "consultations that became orders",
                    minimum=_COUNT,
                ),
                Field(
                    "avg_response_seconds",
                    Decimal,
                    "average first response",
                    minimum=_COUNT,
                ),
                Field(
                    "customers_lost", int, "customers who left unserved", minimum=_COUNT
                ),
            ),
            (),
            _chat,
        ),
        Kind(
            "clock",
            "clock-in record of an agent-day",
            (
                Field("late_minutes", int, "minutes late", minimum=_COUNT),
                Field("early_leave_minutes", int, "minutes left early", minimum=_COUNT),
                Field(
                    "leave_days",
                    Decimal,
                    "days of leave: 0, 0.5 or 1",
                    _COUNT,
                    ONE,
                    step=Decimal("0.5"),
                ),
            ),
            (),
            _clock,
        ),
        Kind(
            "exams",
            "result of a company or department exam",
            (
                Field("exam", str, "exam name", max_length=200),
                Field("score", Decimal, "score out of 100", _COUNT, Decimal(100)),
            ),
            ("exam",),
            _exam,
        ),
        Kind(
            "spot_checks",
            "company spot check or simulated reception scenario",
            (
                Field("check", str, "the check's reference", max_length=200),
                Field(
                    "kind",
                    str,
                    "what was checked",
                    choices=("spot_check", "simulated_reception"),
                ),
                Field("passed", bool, "whether the agent's attitude passed"),
                Field("note", str, "what was seen", default=""),
            ),
            ("check",),
            _spot_check,
        ),
        Kind(
            "reports",
            "monitoring-report submission",
            (
                Field("report", str, "report name", max_length=200),
                Field("on_time", bool, "submitted on time"),
                Field("complete", bool, "complete and of good quality"),
                Field("truthful", bool, "data truthful"),
            ),
            ("report",),
            _report,
        ),
        Kind(
            "complaints",
            "customer complaint against the agent",
            (
                Field(
                    "complaint",
                    str,
                    "the complaint's number",
                    max_length=100,
                    called="complaint_no",
                ),
                Field(
                    "severity",
                    str,
                    "how severe",
                    choices=SEVERITIES,
                    default=SEVERITIES[0],
                ),
                Field(
                    "order_no",
                    str,
                    "the order complained about, if any",
                    default="",
                    max_length=100,
                ),
                Field("description", str, "what the customer said", default=""),
            ),
            ("complaint",),
            _complaint,
        ),
        Kind(
            "promotion",
            "promotion activity on one of scheme B's five channels",
            (
                Field("channel", str, "the channel", choices=tuple(CHANNELS)),
                Field(
                    "reference", str, "link or reference to the work", max_length=500
                ),
                Field("note", str, "what was done", default=""),
            ),
            ("channel", "reference"),
            _promotion,
            self_service=True,
        ),
    )
}


def natural_key(kind: Kind, values: Mapping[str, Any]) -> str:
    return "|".join(str(values[name]) for name in kind.key)


class Observation(Aggregate):
    """One observation, known by its natural key."""

    @staticmethod
    def create_id(kind: str, agent_id: str, occurred_on: date, key: str) -> UUID:
        return uuid5(_NAMESPACE, f"{kind}|{agent_id}|{occurred_on.isoformat()}|{key}")

    class Recorded(Aggregate.Created):
        kind: str
        agent_id: str
        occurred_on: date
        key: str
        values: dict[str, Any]
        recorded_by: str
        source: str

    @event(Recorded)
    def __init__(
        self,
        kind: str,
        agent_id: str,
        occurred_on: date,
        key: str,
        values: dict[str, Any],
        recorded_by: str,
        source: str,
    ) -> None:
        self.kind = kind
        self.agent_id = agent_id
        self.occurred_on = occurred_on
        self.key = key
        self.values = values
        self.recorded_by = recorded_by

    def correct(self, values: dict[str, Any], recorded_by: str, source: str) -> bool:
        """Record different values as a correction; return whether anything changed."""
        if values == self.values:
            return False
        self._corrected(
            kind=self.kind,
            agent_id=self.agent_id,
            occurred_on=self.occurred_on,
            values=values,
            previous=self.values,
            recorded_by=recorded_by,
            source=source,
        )
        return True

    class Corrected(Aggregate.Event):
        kind: str
        agent_id: str
        occurred_on: date
        values: dict[str, Any]
        previous: dict[str, Any]
        recorded_by: str
        source: str

    @event(Corrected)
    def _corrected(
        self,
        kind: str,
        agent_id: str,
        occurred_on: date,
        values: dict[str, Any],
        previous: dict[str, Any],
        recorded_by: str,
        source: str,
    ) -> None:
        self.values = values
