"""What follows from the monthly cycle, read from the scoreboard view: the period
and its review window, quarterly rewards, bottom-group improvement duties and
the payroll.

Everything here is derived from the log: a month's publications are events with
positions, and rewards and duties are computed as the scores stood at each
publication (a filter over the ledger, not a replay). So rebuilding or
replaying never grants a reward twice, and a correction published after a
reopening shows up as an adjustment, not a silent change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.errors import ConflictError
from domain.month import Month
from domain.periods import PLAN_DAYS, Status, review_window
from domain.ranking import bottom
from domain.scoring import Scorecard, points
from projections.records import PeriodRecord
from projections.scoreboard import NOW, ScoreboardView

ZERO = Decimal(0)


@dataclass(frozen=True)
class PeriodView:
    month: Month
    status: Status
    phase: str
    review_from: date
    review_to: date
    history: list[dict[str, Any]]


def period_view(view: ScoreboardView, month: Month, today: date) -> PeriodView:
    """The period with its review window and where it stands today."""
    period = view.period(month)
    first, last = review_window(month, view.calendar().is_working_day)
    if period.status is not Status.OPEN and period.status is not Status.REOPENED:
        phase = period.status.value
    elif today <= month.last_day:
        phase = "in progress"
    elif today < first:
        phase = "awaiting review"
    elif today <= last:
        phase = "review window"
    else:
        phase = "review overdue"
    return PeriodView(month, period.status, phase, first, last, period.history)


@dataclass(frozen=True)
class Publication:
    """A month's report as issued at a log position."""

    position: int
    published_on: date
    reason: str | None
    """Why the month was reopened before this publication (None for the first)."""


def publications(period: PeriodRecord) -> list[Publication]:
    found: list[Publication] = []
    reason = None
    for entry in period.history:
        if entry["event"] == "reopened":
            reason = entry["reason"]
        elif entry["event"] == "published":
            published_on = date.fromisoformat(entry["published_on"])
            found.append(Publication(entry["position"], published_on, reason))
            reason = None
    return found


# Scorecards after publication


@dataclass(frozen=True)
class AfterPublication:
    published_total: Decimal | None
    changed: bool
    reopenings: list[dict[str, Any]]


def after_publication(
    view: ScoreboardView,
    agent_id: str,
    month: Month,
    card: Scorecard,
    as_of: int = NOW,
    period: PeriodRecord | None = None,
) -> AfterPublication:
    """Whether the scorecard changed since the month was first published, and
    why; ``period`` is the month's period as of ``as_of`` if already read."""
    period = period or view.period(month).as_of(as_of)
    issued = publications(period)
    reopenings = [h for h in period.history if h["event"] == "reopened"]
    if not issued:
        return AfterPublication(None, False, reopenings)
    published = view.scorecard(agent_id, month, as_of=issued[0].position)
    return AfterPublication(published.total, published.total != card.total, reopenings)


# Quarterly rewards


def quarter_months(year: int, quarter: int) -> list[Month]:
    return [Month(year, 3 * quarter - 2 + i) for i in range(3)]


@dataclass(frozen=True)
class QuarterStanding:
    agent_id: str
    totals: tuple[Decimal, ...]
    average: Decimal
    place: int
    reward: Decimal = ZERO
    """What the place earns under the rulebook in force (before publication,
    provisionally)."""


def quarter_standings(
    view: ScoreboardView, months: list[Month], as_of: int = NOW
) -> list[QuarterStanding]:
    """Agents ranked in every month of the quarter, by the average of their
    three monthly totals; ties go to the higher total of the last month, then of
    the month before, then to the lower agent id."""
    rankings = [view.ranking(month, as_of=as_of) for month in months]
    ranked = [{e.agent_id: e.total for e in r if e.rank is not None} for r in rankings]
    eligible = set(ranked[0]).intersection(*ranked[1:])
    rows = [(agent, tuple(r[agent] for r in ranked)) for agent in sorted(eligible)]
    ordered = sorted(
        rows, key=lambda row: (-sum(row[1]), *(-t for t in reversed(row[1])), row[0])
    )
    return [
        QuarterStanding(agent, totals, points(sum(totals, ZERO) / 3), place)
        for place, (agent, totals) in enumerate(ordered, start=1)
    ]


@dataclass(frozen=True)
class Award:
    agent_id: str
    place: int | None
    amount: Decimal
    kind: str
    """``granted`` with the first report of the quarter's last month;
    ``adjusted`` when a later report changes who is in the top places."""
    position: int
    reason: str | None = None


@dataclass(frozen=True)
class QuarterView:
    year: int
    quarter: int
    months: list[Month]
    status: str
    """``provisional`` until the quarter's last month is published."""
    standings: list[QuarterStanding]
    awards: list[Award]

    def net(self) -> dict[str, Decimal]:
        paid: dict[str, Decimal] = {}
        for award in self.awards:
            paid[award.agent_id] = paid.get(award.agent_id, ZERO) + award.amount
        return paid


def quarter_view(view: ScoreboardView, year: int, quarter: int) -> QuarterView:
    months = quarter_months(year, quarter)
    issued = publications(view.period(months[-1]))
    awards: list[Award] = []
    held: dict[str, tuple[int, Decimal]] = {}
    for publication in issued:
        now = _winners(view, months, publication.position)
        kind = "granted" if not held else "adjusted"
        for agent in sorted(set(held) | set(now)):
            before = held.get(agent, (None, ZERO))[1]
            place, after = now.get(agent, (None, ZERO))
            if after != before:
                reason = publication.reason if kind == "adjusted" else None
                awards.append(
                    Award(
                        agent, place, after - before, kind, publication.position, reason
                    )
                )
        held = now
    status = "published" if issued else "provisional"
    amounts = view.catalog().for_month(months[-1]).quarter_rewards
    standings = [
        replace(s, reward=amounts[s.place - 1] if s.place <= len(amounts) else ZERO)
        for s in quarter_standings(view, months)
    ]
    return QuarterView(year, quarter, months, status, standings, awards)


def _winners(
    view: ScoreboardView, months: list[Month], as_of: int
) -> dict[str, tuple[int, Decimal]]:
    amounts = view.catalog(as_of).for_month(months[-1]).quarter_rewards
    standings = quarter_standings(view, months, as_of)
    return {
        s.agent_id: (s.place, amounts[s.place - 1])
        for s in standings
        if s.place <= len(amounts)
    }


# Bottom-group duties


@dataclass(frozen=True)
class Duty:
    duty_id: str
    month: Month
    agent_id: str
    supervisor: str
    owed_since: int
    due_on: date
    status: str
    """open, overdue, submitted, submitted late or withdrawn"""
    submitted_on: date | None = None


def duties(view: ScoreboardView, today: date) -> list[Duty]:
    """Each published month's bottom group owes an improvement plan from its
    supervisor within seven days of publication. A later report that lifts an
    agent out of the group withdraws a duty not yet met."""
    from domain.plans import duty_id

    plans = {(p.month, p.agent_id): p for p in view.plans()}
    supervisors = {a.agent_id: a.supervisor for a in view.agents()}
    found: dict[tuple[str, str], Duty] = {}
    for period in view.periods():
        for publication in publications(period):
            size = (
                view.catalog(publication.position).for_month(period.month).bottom_group
            )
            ranking = view.ranking(period.month, as_of=publication.position)
            group = bottom([e for e in ranking if e.rank is not None], size)
            due = publication.published_on + timedelta(days=PLAN_DAYS)
            for key, duty in list(found.items()):
                if key[0] == str(period.month) and key[1] not in group:
                    found[key] = _withdrawn(duty)
            for agent in sorted(group):
                key = (str(period.month), agent)
                if key not in found or found[key].status == "withdrawn":
                    found[key] = Duty(
                        str(duty_id(key[0], agent)), period.month, agent,
                        supervisors.get(agent, ""), publication.position, due, "open",
                    )  # fmt: skip
    return [_status(duty, plans.get((str(duty.month), duty.agent_id)), today)
            for duty in found.values()]  # fmt: skip


def _withdrawn(duty: Duty) -> Duty:
    return Duty(**{**duty.__dict__, "status": "withdrawn"})


def _status(duty: Duty, plan: Any, today: date) -> Duty:
    if duty.status == "withdrawn":
        return duty
    if plan is not None:
        late = plan.first_submitted_on > duty.due_on
        status = "submitted late" if late else "submitted"
        return Duty(
            **{
                **duty.__dict__,
                "status": status,
                "submitted_on": plan.first_submitted_on,
            }
        )
    status = "overdue" if today > duty.due_on else "open"
    return Duty(**{**duty.__dict__, "status": status})


# Payroll


@dataclass(frozen=True)
class PayLine:
    agent_id: str
    name: str
    team: str
    total: Decimal
    grade: str | None
    commission: Decimal
    fines: Decimal
    rewards: Decimal
    currency: str

    @property
    def net(self) -> Decimal:
        return self.commission - self.fines + self.rewards


def payroll(view: ScoreboardView, month: Month) -> list[PayLine]:
    """Commission and fines of every agent present in a published month, and
    the quarter's rewards and adjustments in the quarter's last month. Before
    the month is published its payroll is not final, and refused."""
    if view.period(month).status is not Status.PUBLISHED:
        raise ConflictError(f"{month} is not published; its payroll is not final.")
    rewards: dict[str, Decimal] = {}
    if month.month % 3 == 0:
        rewards = quarter_view(view, month.year, month.month // 3).net()
    lines = []
    for agent in view.agents():
        if not agent.present_in(month):
            continue
        card = view.scorecard(agent.agent_id, month)
        lines.append(
            PayLine(
                agent.agent_id, agent.name, agent.team, card.total, card.grade,
                card.commission, card.fines, rewards.get(agent.agent_id, ZERO),
                card.currency,
            )
        )  # fmt: skip
    return lines
