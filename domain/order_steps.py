"""The steps of an order and the fields they take, each said once.

``STEPS`` says, for each step, the event it records on ``Order``, the fields
it requires and those it may take, what ``Order.recorded_as`` keeps of it (so
that a re-imported row is known again), how it is numbered, and whether it
comes through the API's step endpoint (``submit`` has ``POST /orders`` of its
own) or from the order system's export (``correct_amount`` does not: a
re-imported amount corrects the order). ``FIELDS`` says, for each field, what
the API takes, what a cell of the export takes, and what it means.

An export row (``OrderRow``), the import's columns and their descriptions, the
API's bodies (``OrderIn``, ``OrderStepIn`` and its one object per step) and
the read model's step names are all made from these. The cases, reasons,
batches and outcomes a step takes are data (``order-workflow.json``): a
step names the workflow's values for a field, and ``Order`` refuses others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from decimal import Decimal
from typing import Any

from domain.document import CODE, Day, Flag, Number, Text, Type, Whole
from domain.orders import Order, workflow


@dataclass(frozen=True)
class StepField:
    """A field of an order step. ``type`` is what the API takes (None: one of
    the values the step's workflow gives, ``OrderStep.choices``); ``cell`` what a
    cell of the export takes, where the import is looser and leaves the rest to
    ``Order`` (which refuses the row); ``default`` the value of an empty cell."""

    key: str
    type: Type | None
    _: KW_ONLY
    cell: Type | None = None
    required: bool = False
    default: Any = None
    doc: str = ""

    def recorded(self, value: Any) -> Any:
        """The value as ``Order.recorded_as`` keeps it: amounts compare by value
        (100 and 100.00 are the same amount)."""
        if type(self.type) is Number and value is not None:
            return format(Decimal(value).normalize(), "f")
        return value


_CHOSEN = Text(max_length=64)
"""A case, reason or outcome in the export: the workflow says which."""

FIELDS: dict[str, StepField] = {
    f.key: f
    for f in (
        StepField(
            "order_no",
            Text(min_length=1, max_length=100),
            required=True,
            doc="the order system's number",
        ),
        StepField("step", None, required=True),
        StepField("occurred_on", Day(), required=True, doc="when the step happened"),
        StepField(
            "agent_id",
            CODE,
            doc="submit: the owner (required); other steps: who handled it",
        ),
        StepField("handled_by", CODE, doc="who handled the step (default: the owner)"),
        StepField(
            "case", None, cell=_CHOSEN, doc="how the order was placed, or processed"
        ),
        StepField(
            "amount",
            Number(minimum=0, maximum=10**9),
            cell=Number(minimum=0),
            doc="the amount (a re-imported new amount corrects it)",
        ),
        StepField(
            "batch",
            Whole(minimum=1, maximum=100),
            cell=Whole(),
            doc="the check batch, by its kind of checker",
        ),
        StepField("passed", Flag(), doc="whether the order passed the check"),
        StepField("note", Text(max_length=2000), default="", doc="what was seen"),
        StepField("reason", None, cell=_CHOSEN, doc="what the customer disputes"),
        StepField(
            "number",
            Whole(minimum=1, maximum=10_000),
            cell=Whole(minimum=1),
            doc="the dispute's number, from 1",
        ),
        StepField(
            "outcome",
            Text(min_length=1, max_length=40),
            cell=_CHOSEN,
            doc="how the dispute or the order ended",
        ),
        StepField(
            "cause",
            None,
            cell=_CHOSEN,
            doc="finish: who caused a refund or a redo (left out: not said)",
        ),
    )
}

ROW_COMMON = ("order_no", "step", "occurred_on", "agent_id")
"""The columns of every export row, before the steps' own."""
API_COMMON = ("step", "occurred_on", "handled_by")
"""The fields of every body of ``POST /orders/{order_no}/steps``."""


@dataclass(frozen=True, kw_only=True)
class OrderStep:
    """A step: its event, the fields it requires and may take, the workflow's
    values for them (``chosen_from``: a ``Workflow`` attribute), what it
    records (recorded name: field), and the field that numbers it."""

    name: str
    event: type[Any]
    command: str = ""
    """The ``Order`` method that records the step (``submit``: ``Order``
    itself)."""
    requires: tuple[str, ...] = ()
    takes: tuple[str, ...] = ()
    chosen_from: Mapping[str, str] = field(default_factory=dict)
    records: Mapping[str, str] = field(default_factory=dict)
    numbered_by: str | None = None
    api_step: bool = True
    imported: bool = True

    @property
    def fields(self) -> tuple[str, ...]:
        """What the API takes for the step."""
        return self.requires + self.takes

    @property
    def columns(self) -> tuple[str, ...]:
        """What an export row of the step gives: its fields and its number (the
        API numbers a dispute itself)."""
        numbered = (self.numbered_by,) if self.numbered_by else ()
        return self.fields + tuple(n for n in numbered if n not in self.fields)

    def choices(self, key: str) -> tuple[Any, ...] | None:
        """The values the workflow lets ``key`` take in this step, if it says."""
        source = self.chosen_from.get(key)
        if source is None:
            return None
        values = getattr(workflow(), source)
        return tuple(sorted(values) if isinstance(values, Mapping) else values)

    def key(self, row: Any) -> str:
        """The step's key in ``Order.recorded_as``: ``check:3``, ``dispute:2``."""
        if self.numbered_by is None:
            return self.name
        return f"{self.name}:{getattr(row, self.numbered_by)}"

    def values(self, row: Any) -> dict[str, Any]:
        """What the step records, as ``Order.recorded_as`` keeps it."""
        kept = {
            name: FIELDS[key].recorded(getattr(row, key))
            for name, key in self.records.items()
        }
        return {**kept, "on": str(row.occurred_on)}


_STEPS = (
    OrderStep(
        name="submit",
        event=Order.Submitted,
        requires=("agent_id", "case", "amount"),
        chosen_from={"case": "submit_cases"},
        records={"owner": "agent_id", "case": "case", "amount": "amount"},
        api_step=False,
    ),
    OrderStep(
        name="process",
        command="process",
        event=Order.Processed,
        requires=("case",),
        chosen_from={"case": "process_cases"},
        records={"case": "case"},
    ),
    OrderStep(
        name="check",
        command="check",
        event=Order.Checked,
        requires=("batch", "passed"),
        takes=("note",),
        chosen_from={"batch": "checkers"},
        records={"passed": "passed"},
        numbered_by="batch",
    ),
    OrderStep(name="pay", command="pay", event=Order.Paid),
    OrderStep(name="feedback", command="give_feedback", event=Order.FeedbackGiven),
    OrderStep(
        name="dispute",
        command="open_dispute",
        event=Order.DisputeOpened,
        requires=("reason",),
        chosen_from={"reason": "dispute_reasons"},
        records={"reason": "reason"},
        numbered_by="number",
    ),
    OrderStep(
        name="resolve",
        command="resolve_dispute",
        event=Order.DisputeResolved,
        requires=("number", "outcome"),
        chosen_from={"outcome": "dispute_outcomes"},
        records={"outcome": "outcome"},
        numbered_by="number",
    ),
    OrderStep(
        name="finish",
        command="finish",
        event=Order.Finished,
        requires=("outcome",),
        takes=("cause",),
        chosen_from={"outcome": "finish_outcomes", "cause": "finish_causes"},
        records={"outcome": "outcome", "cause": "cause"},
    ),
    OrderStep(
        name="correct_amount",
        command="correct_amount",
        event=Order.AmountCorrected,
        requires=("amount",),
        imported=False,
    ),
)
STEPS: dict[str, OrderStep] = {step.name: step for step in _STEPS}

ORDER_STEPS = tuple(step.name for step in _STEPS if step.imported)
"""The steps an export row may be."""
API_STEPS = tuple(step.name for step in _STEPS if step.api_step)
"""The steps ``POST /orders/{order_no}/steps`` records."""


def first_used(steps: tuple[str, ...], names: str = "fields") -> tuple[str, ...]:
    """The fields (or ``columns``) of ``steps``, each once, in the order the
    steps first use them."""
    found: dict[str, None] = {}
    for name in steps:
        found |= dict.fromkeys(getattr(STEPS[name], names))
    return tuple(found)


COLUMNS = ROW_COMMON + tuple(
    c for c in first_used(ORDER_STEPS, "columns") if c not in ROW_COMMON
)
"""The columns of an export row, in order: ``OrderRow``'s fields."""

EVENT_COMMON = frozenset(f.name for f in fields(Order.Step)) | (
    frozenset(f.name for f in fields(Order.Submitted)) - set(STEPS["submit"].fields)
)
"""What every order event says beside its step's own values: when, by whom,
for whose order (and, when submitted, which order)."""
