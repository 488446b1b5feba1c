"""The monthly cycle's tables, shared by both SQL backends: periods (with their
history of closes, publications and reopenings), company closed days, and
improvement plans. Mixed into the scoreboard view.

A fact recorded while its month's period was closed or published is kept in the
ledger but excluded from scoring, so replaying the log gives the same result
even when a fact and a close raced each other.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from domain.month import Month
from domain.periods import Status
from projections.records import PeriodRecord, PlanRecord, day, record
from projections.tables import columns

PERIOD_COLUMNS = columns("periods")
PLAN_COLUMNS = columns("plans")


class CycleTables:
    """Statements and folding for periods, closed days and plans."""

    SELECT_PERIODS_OF = (
        f"SELECT {PERIOD_COLUMNS} FROM {{periods}} WHERE month IN ({{months}}) "
        "OR period_id IN ({ids})"
    )
    SELECT_PERIOD = f"SELECT {PERIOD_COLUMNS} FROM {{periods}} WHERE month = :month"
    SELECT_PERIODS = f"SELECT {PERIOD_COLUMNS} FROM {{periods}} ORDER BY month"
    UPSERT_PERIOD = (
        f"INSERT INTO {{periods}} ({PERIOD_COLUMNS}) VALUES (:period_id, :month, "
        ":status, :history, :position) ON CONFLICT (period_id) DO UPDATE SET "
        "status = excluded.status, history = excluded.history, "
        "position = excluded.position"
    )
    INSERT_CLOSED_DAY = (
        "INSERT INTO {closed_days} (day, reason, position) "
        "VALUES (:day, :reason, :position) ON CONFLICT (day) DO NOTHING"
    )
    SELECT_CLOSED_DAYS = (
        "SELECT day, reason FROM {closed_days} WHERE position <= :as_of"
    )
    UPSERT_PLAN = (
        f"INSERT INTO {{plans}} ({PLAN_COLUMNS}) VALUES (:month, :agent_id, :why, "
        ":actions, :submitted_by, :submitted_on, :submitted_on, :position) "
        "ON CONFLICT (month, agent_id) DO UPDATE SET why = excluded.why, "
        "actions = excluded.actions, submitted_by = excluded.submitted_by, "
        "submitted_on = excluded.submitted_on, position = excluded.position"
    )
    SELECT_PLANS = f"SELECT {PLAN_COLUMNS} FROM {{plans}} ORDER BY month, agent_id"

    _dialect: Any
    _select: Any

    def _fold_cycle(self, cursor: Any, changes: Any) -> None:
        """Apply period events in log order, excluding facts recorded while their
        month was closed; then closed days and plans."""
        if changes.closed_days:
            cursor.executemany(self.INSERT_CLOSED_DAY, changes.closed_days)
        if changes.plans:
            cursor.executemany(self.UPSERT_PLAN, changes.plans)
        if not changes.period_events and not changes.facts:
            return
        periods = self._periods_for(cursor, changes)
        months = {p["period_id"]: p["month"] for p in periods.values()}
        months.update(
            {e["period_id"]: e["month"] for e in changes.period_events if e["month"]}
        )
        status = {p["month"]: Status(p["status"]) for p in periods.values()}
        events = iter(changes.period_events)
        pending = next(events, None)
        for fact in changes.facts:
            while pending is not None and pending["position"] < fact["position"]:
                self._period_event(periods, status, months, pending)
                pending = next(events, None)
            current = status.get(fact["month"], Status.OPEN)
            if not current.accepts_facts:
                fact["excluded"] = (
                    f"recorded while the {fact['month']} period was {current}"
                )
        while pending is not None:
            self._period_event(periods, status, months, pending)
            pending = next(events, None)
        touched = [p for p in periods.values() if p.get("dirty")]
        if touched:
            cursor.executemany(
                self.UPSERT_PERIOD,
                [
                    {k: v for k, v in p.items() if k != "dirty"}
                    | {"history": json.dumps(p["history"])}
                    for p in touched
                ],
            )

    def _periods_for(self, cursor: Any, changes: Any) -> dict[str, dict[str, Any]]:
        months = sorted({f["month"] for f in changes.facts})
        ids = sorted({e["period_id"] for e in changes.period_events})
        if not months and not ids:
            return {}
        month_params = {f"m{i}": m for i, m in enumerate(months)} or {"m0": ""}
        id_params = {f"p{i}": p for i, p in enumerate(ids)} or {"p0": ""}
        statement = self.SELECT_PERIODS_OF.format(
            months=", ".join(f":{k}" for k in month_params),
            ids=", ".join(f":{k}" for k in id_params),
        )
        cursor.execute(self._dialect(statement), month_params | id_params)
        return {
            row["period_id"]: dict(row) | {"history": json.loads(row["history"])}
            for row in cursor.fetchall()
        }

    @staticmethod
    def _period_event(
        periods: dict[str, dict[str, Any]],
        status: dict[str, Status],
        months: dict[str, str],
        event: dict[str, Any],
    ) -> None:
        month = months[event["period_id"]]
        period = periods.setdefault(
            event["period_id"],
            {"period_id": event["period_id"], "month": month, "history": []},
        )
        if event["event"] != "opened":
            entry = {k: v for k, v in event.items() if k not in ("period_id", "month")}
            period["history"].append(entry)
            status[month] = Status(event["event"])
        period["status"] = status.get(month, Status.OPEN).value
        period["position"] = event["position"]
        period["dirty"] = True

    # Reads

    def period(self, month: Month) -> PeriodRecord:
        rows = self._select(self.SELECT_PERIOD, {"month": str(month)})
        if not rows:
            return PeriodRecord(month, Status.OPEN, [])
        return record(PeriodRecord, rows[0])

    def periods(self) -> list[PeriodRecord]:
        return [record(PeriodRecord, r) for r in self._select(self.SELECT_PERIODS, {})]

    def closed_days(self, as_of: int) -> dict[date, str]:
        rows = self._select(self.SELECT_CLOSED_DAYS, {"as_of": as_of})
        return {day(r["day"]): r["reason"] for r in rows}

    def plans(self) -> list[PlanRecord]:
        return [record(PlanRecord, r) for r in self._select(self.SELECT_PLANS, {})]
