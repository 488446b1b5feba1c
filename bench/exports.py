"""A deterministic synthetic month of the files ``appraisal import`` reads.

``generate(directory, agents=..., month=..., seed=...)`` writes two CSV files
and keeps their rows (typed: dates, decimals, booleans, None for an empty cell):

- ``chat.csv``, chat statistics from the performance software: one row per
  agent and calendar day of the month;
- ``orders.csv``, an order-system export: rows of steps. About
  ``orders_per_day`` orders per agent and working day (Monday to Friday) are
  submitted; most are processed, paid, given feedback and finished (completed,
  refunded only if paid, or redone); some are checked in batches 1 (by the
  owner) and 2 (by a colleague of the same team), a few of those checks fail;
  a few orders are disputed and most disputes resolved. The steps of an order
  fall on non-decreasing dates, never before it was submitted; a step that
  would fall after the month is left out with every step after it. Rows are
  ordered by date, and an order's steps of one day in workflow order.

The same arguments always give the same files: everything comes from one
``random.Random(seed)``.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import synthetic
from domain.commands import NewAgent
from domain.month import Month
from domain.orders import workflow

DEFAULT_MONTH = Month(2025, 10)
CHAT = "chat"
ORDERS = "orders"
CHAT_COLUMNS = (
    "agent_id",
    "date",
    "consultations",
    "conversions",
    "avg_response_seconds",
    "customers_lost",
)
ORDER_COLUMNS = (
    "order_no",
    "step",
    "date",
    "agent_id",
    "case",
    "amount",
    "batch",
    "passed",
    "note",
    "reason",
    "number",
    "outcome",
)
DATE_COLUMN = 2  # of ORDER_COLUMNS
# Shares of orders that get a step, and how many days after the step before.
PROCESSED, PROCESS_DELAYS = 0.95, (0, 0, 0, 1)
CHECKED_SELF, CHECKED_COLLEAGUE = 0.30, 0.15
CHECK_FAILS = 0.05
PAID, PAY_DELAYS = 0.90, (0, 0, 1, 2)
FEEDBACK, FEEDBACK_DELAYS = 0.95, (0, 0, 1, 1, 2, 3)
DISPUTED, DISPUTE_DELAYS = 0.03, (1, 2, 3)
RESOLVED = 0.80
FINISHED, FINISH_DELAYS = 0.90, (0, 1, 2, 3)
REFUNDED, REDONE = 0.04, 0.03
SUBMIT_CASES = {"customer": 6, "agent": 4}
PROCESS_CASES = {"standard": 80, "changed": 10, "substitute": 5, "escalated": 5}
FAILURE_NOTES = ("wrong item picked", "address incomplete", "price mismatch")
Row = tuple[Any, ...]


@dataclass(frozen=True)
class ExportFile:
    """A written CSV file and its rows, in ``columns`` order."""

    kind: str
    path: Path
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Exports:
    agents: tuple[NewAgent, ...]
    month: Month
    seed: int
    chat: ExportFile
    orders: ExportFile
    order_count: int

    @property
    def teams(self) -> frozenset[str]:
        return frozenset(agent.team for agent in self.agents)

    def step_counts(self) -> Counter[str]:
        """Order rows per step; failed checks counted as ``check failed`` too."""
        counts = Counter(row[1] for row in self.orders.rows)
        counts["check failed"] = sum(
            1 for row in self.orders.rows if row[1] == "check" and not row[7]
        )
        return counts


def generate(
    directory: Path,
    *,
    agents: int,
    teams: int = synthetic.DEFAULT_TEAMS,
    month: Month = DEFAULT_MONTH,
    orders_per_day: float = 3.0,
    seed: int = synthetic.DEFAULT_SEED,
) -> Exports:
    """Write ``chat.csv`` and ``orders.csv`` for ``month`` into ``directory``."""
    if agents < 1 or teams < 1 or orders_per_day < 0:
        raise ValueError("need agents >= 1, teams >= 1 and orders_per_day >= 0")
    rng = random.Random(seed)
    roster = synthetic.make_agents(agents, min(teams, agents))
    chat_rows = tuple(chat_statistics(rng, roster, month))
    order_rows, order_count = order_export(rng, roster, month, orders_per_day)
    return Exports(
        agents=tuple(roster),
        month=month,
        seed=seed,
        chat=write_csv(directory / "chat.csv", CHAT, CHAT_COLUMNS, chat_rows),
        orders=write_csv(directory / "orders.csv", ORDERS, ORDER_COLUMNS, order_rows),
        order_count=order_count,
    )


def days_of(month: Month) -> list[date]:
    first = month.first_day
    return [first + timedelta(days=n) for n in range(month.last_day.day)]


# Chat statistics


def chat_statistics(
    rng: random.Random, roster: Sequence[NewAgent], month: Month
) -> Iterable[Row]:
    """One row per agent and day: fewer consultations at weekends."""
    for day in days_of(month):
        busy = day.weekday() < 5
        for agent in roster:
            consultations = rng.randint(20, 80) if busy else rng.randint(0, 15)
            conversions = round(consultations * rng.uniform(0.1, 0.4))
            response = Decimal(rng.randint(50, 900)) / 10
            lost = rng.randint(0, consultations // 10)
            yield (agent.agent_id, day, consultations, conversions, response, lost)


# The order-system export


def order_export(
    rng: random.Random,
    roster: Sequence[NewAgent],
    month: Month,
    orders_per_day: float,
) -> tuple[tuple[Row, ...], int]:
    """The steps of every order submitted in ``month``, by date; the rows and
    the number of orders."""
    teams: dict[str, list[str]] = {}
    for agent in roster:
        teams.setdefault(agent.team, []).append(agent.agent_id)
    last = month.last_day
    rows: list[Row] = []
    count = 0
    for day in days_of(month):
        if day.weekday() >= 5:
            continue
        for agent in roster:
            for _ in range(max(0, round(rng.gauss(orders_per_day, 1.0)))):
                count += 1
                order_no = f"SO{month.year % 100:02d}{month.month:02d}-{count:07d}"
                colleagues = [a for a in teams[agent.team] if a != agent.agent_id]
                colleague = rng.choice(colleagues) if colleagues else agent.agent_id
                steps = order_steps(rng, order_no, agent.agent_id, colleague, day)
                rows += (s for s in steps if s[DATE_COLUMN] <= last)
    rows.sort(key=lambda row: row[DATE_COLUMN])  # stable: workflow order kept
    return tuple(rows), count


def order_steps(
    rng: random.Random, order_no: str, owner: str, colleague: str, submitted: date
) -> list[Row]:
    """An order's steps in workflow order, on non-decreasing dates."""
    steps = OrderSteps(rng, order_no, owner)
    amount = Decimal(rng.randint(1000, 200_000)) / 100
    steps.add("submit", submitted, case=pick(rng, SUBMIT_CASES), amount=amount)
    if rng.random() >= PROCESSED:
        return steps.rows
    on = steps.later(submitted, PROCESS_DELAYS)
    steps.add("process", on, case=pick(rng, PROCESS_CASES))
    checks(steps, on, colleague)
    after_processing(steps, on)
    return steps.rows


@dataclass
class OrderSteps:
    """One order's rows, as its steps are added, and its random draws."""

    rng: random.Random
    order_no: str
    owner: str
    rows: list[Row] = field(default_factory=list)

    def add(self, name: str, on: date, by: str | None = None, **values: Any) -> None:
        """A step by ``by`` (the owner unless named) on ``on``."""
        row = {
            "order_no": self.order_no,
            "step": name,
            "date": on,
            "agent_id": self.owner if by is None else by,
        }
        row.update(values)
        self.rows.append(tuple(row.get(column) for column in ORDER_COLUMNS))

    def later(self, after: date, delays: Sequence[int]) -> date:
        return after + timedelta(days=self.rng.choice(delays))


def checks(steps: OrderSteps, on: date, colleague: str) -> None:
    """The owner's check (batch 1) and a colleague's (batch 2), each maybe."""
    rng = steps.rng
    for batch, share, by in (
        (1, CHECKED_SELF, steps.owner),
        (2, CHECKED_COLLEAGUE, colleague),
    ):
        if rng.random() < share:
            passed = rng.random() >= CHECK_FAILS
            note = "" if passed else rng.choice(FAILURE_NOTES)
            steps.add("check", on, by, batch=batch, passed=passed, note=note)


def after_processing(steps: OrderSteps, on: date) -> None:
    """Maybe paid, feedback, a dispute (maybe resolved), finished; in that
    order, each on or after the one before (``on``: when it was processed)."""
    rng = steps.rng
    paid = rng.random() < PAID
    if paid:
        on = steps.later(on, PAY_DELAYS)
        steps.add("pay", on)
    if rng.random() < FEEDBACK:
        on = steps.later(on, FEEDBACK_DELAYS)
        steps.add("feedback", on)
    if rng.random() < DISPUTED:
        on = steps.later(on, DISPUTE_DELAYS)
        reason = rng.choice(workflow().dispute_reasons)
        steps.add("dispute", on, reason=reason, number=1)
        if rng.random() < RESOLVED:
            on = steps.later(on, DISPUTE_DELAYS)
            outcome = rng.choice(workflow().dispute_outcomes)
            steps.add("resolve", on, number=1, outcome=outcome)
    if rng.random() < FINISHED:
        steps.add("finish", steps.later(on, FINISH_DELAYS), outcome=finish(rng, paid))


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def finish(rng: random.Random, paid: bool) -> str:
    """completed, refunded (only if paid) or redone."""
    draw = rng.random()
    if paid and draw < REFUNDED:
        return "refunded"
    if draw >= 1 - REDONE:
        return "redone"
    return "completed"


# Writing


def write_csv(
    path: Path, kind: str, columns: tuple[str, ...], rows: tuple[Row, ...]
) -> ExportFile:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(tuple(cell(value) for value in row) for row in rows)
    return ExportFile(kind, path, columns, rows)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
