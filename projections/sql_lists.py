"""Lists read in pages from the read models, shared by both SQL backends and
mixed into the scoreboard view: deductions with the state their disputes left
them in, disputes by state and deadline, and the ledger rows of one fact.

Every list is newest first and read by keyset on the log position: a page is
the ``limit`` items before position ``after``, so a fact recorded meanwhile
neither repeats nor hides an item of the pages still to read. Filters are
declared once per list (``*_FILTERS``): each names a column of the list that a
given value must equal, and a value of None leaves the list unfiltered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.month import Month
from domain.periods import dispute_deadline
from projections.records import (
    NOW,
    DeductionRecord,
    DisputeRecord,
    day,
    moment,
    record,
)
from projections.tables import columns

DEDUCTION_STATUSES = ("standing", "disputed", "overturned", "adjusted")
"""standing: never disputed, or its last dispute upheld; disputed: a dispute is
open; overturned, adjusted: how its last dispute was resolved."""
DEDUCTION_FILTERS = ("deduction_id", "agent_id", "team", "month", "item", "status")
DISPUTE_STATES = ("open", "resolved", "upheld", "overturned", "adjusted")
DISPUTE_FILTERS = ("agent_id", "team", "month", "reviewer")
FACT_COLUMNS = columns("facts")


def _equal(names: Sequence[str], prefix: str = "") -> str:
    """Each named column equals its parameter, unless the parameter is None."""
    return " AND ".join(
        f"(CAST(:{n} AS TEXT) IS NULL OR {prefix}{n} = :{n})" for n in names
    )


@dataclass(frozen=True)
class ListedDispute(DisputeRecord):
    team: str | None = None


class ListTables:
    """Statements and reads of the lists."""

    _select: Any
    _dialect: Any
    catalog: Any
    calendar: Any

    # The row a deduction was recorded as (the first of its fact id: later
    # ones are adjustments), and the outcome of its last dispute.
    SELECT_DEDUCTION_PAGE = (
        "SELECT * FROM (SELECT f.fact_id AS deduction_id, f.agent_id, a.team, "
        "f.month, f.item, f.occurred_on, f.detail, f.recorded_by, f.recorded_at, "
        "f.event_id, f.position, f.excluded, CASE "
        "WHEN d.number IS NULL OR d.outcome = 'upheld' THEN 'standing' "
        "WHEN d.outcome IS NULL THEN 'disputed' ELSE d.outcome END AS status "
        "FROM {facts} f JOIN {agents} a ON a.agent_id = f.agent_id "
        "LEFT JOIN {disputes} d ON d.deduction_id = f.fact_id AND d.number = "
        "(SELECT MAX(x.number) FROM {disputes} x WHERE x.deduction_id = f.fact_id) "
        "WHERE f.source = 'deduction' AND f.ordinal = 0 AND f.position = "
        "(SELECT MIN(y.position) FROM {facts} y WHERE y.fact_id = f.fact_id)"
        f") listed WHERE {_equal(DEDUCTION_FILTERS)} AND position < :after "
        "ORDER BY position DESC LIMIT :limit"
    )
    # {months} is filled per call: the months whose deadline a query names.
    SELECT_DISPUTE_PAGE = (
        f"SELECT {columns('disputes')}, team FROM (SELECT d.*, a.team "
        "FROM {disputes} d LEFT JOIN {agents} a ON a.agent_id = d.agent_id) listed "
        f"WHERE {_equal(DISPUTE_FILTERS)} "
        "AND (CAST(:state AS TEXT) IS NULL "
        "OR (:state = 'open' AND outcome IS NULL) "
        "OR (:state = 'resolved' AND outcome IS NOT NULL) OR outcome = :state) "
        "AND (:any_month = 1 OR month IN ({months})) "
        "AND disputed_position < :after ORDER BY disputed_position DESC LIMIT :limit"
    )
    SELECT_DISPUTE = (
        f"SELECT {columns('disputes')} FROM {{disputes}} "
        "WHERE deduction_id = :deduction_id AND number = :number"
    )
    SELECT_DISPUTE_MONTHS = "SELECT DISTINCT month FROM {disputes} ORDER BY month"
    SELECT_FACT_ROWS = (
        f"SELECT {FACT_COLUMNS} FROM {{facts}} WHERE fact_id = :fact_id "
        "ORDER BY position, ordinal"
    )

    def deduction_page(
        self, filters: Mapping[str, Any], limit: int, after: int | None = None
    ) -> list[DeductionRecord]:
        """Up to ``limit`` deductions recorded before position ``after``, newest
        first, that match ``filters`` (``DEDUCTION_FILTERS``)."""
        params = {name: filters.get(name) for name in DEDUCTION_FILTERS}
        params |= {"after": NOW if after is None else after, "limit": limit}
        return [
            self._listed(row)
            for row in self._select(self.SELECT_DEDUCTION_PAGE, params)
        ]

    @staticmethod
    def _listed(row: Any) -> DeductionRecord:
        detail = json.loads(row["detail"])
        return record(
            DeductionRecord,
            row,
            quantity=Decimal(detail["quantity"]),
            severity=detail.get("severity"),
            note=detail.get("note", ""),
            evidence_ref=detail.get("evidence_ref"),
        )

    def deduction(self, deduction_id: str) -> DeductionRecord | None:
        """One deduction, as its list shows it (also when overturned)."""
        found = self.deduction_page({"deduction_id": deduction_id}, 1)
        return found[0] if found else None

    def dispute_page(
        self,
        filters: Mapping[str, Any],
        limit: int,
        after: int | None = None,
        state: str | None = None,
        months: Sequence[str] | None = None,
    ) -> list[ListedDispute]:
        """Up to ``limit`` disputes raised before position ``after``, newest
        first, that match ``filters`` (``DISPUTE_FILTERS``), are in ``state``
        (``DISPUTE_STATES``, None for any) and concern one of ``months`` (None
        for any)."""
        names = {f"m{i}": month for i, month in enumerate(months or ())}
        statement = self._dialect(
            self.SELECT_DISPUTE_PAGE.format(
                months=", ".join(f":{name}" for name in names) or "NULL"
            )
        )
        params = {name: filters.get(name) for name in DISPUTE_FILTERS} | names
        params |= {
            "state": state,
            "any_month": int(months is None),
            "after": NOW if after is None else after,
            "limit": limit,
        }
        return [record(ListedDispute, row) for row in self._select(statement, params)]

    def dispute(self, deduction_id: str, number: int) -> DisputeRecord | None:
        params = {"deduction_id": deduction_id, "number": number}
        rows = self._select(self.SELECT_DISPUTE, params)
        return record(DisputeRecord, rows[0]) if rows else None

    def dispute_months(self) -> list[str]:
        """Every month some deduction of was disputed."""
        return [row["month"] for row in self._select(self.SELECT_DISPUTE_MONTHS, {})]

    def fact_rows(self, fact_id: str) -> list[dict[str, Any]]:
        """Every ledger row of one fact (a deduction, an observation, a rating,
        an order), counted or not, in log order."""
        return [
            {key: row[key] for key in row.keys()}  # noqa: SIM118 - sqlite3.Row
            | {
                "detail": json.loads(row["detail"]),
                "occurred_on": day(row["occurred_on"]),
                "recorded_at": moment(row["recorded_at"]),
            }
            for row in self._select(self.SELECT_FACT_ROWS, {"fact_id": fact_id})
        ]

    def dispute_deadlines(self, months: Sequence[str]) -> dict[str, date]:
        """The last day deductions of each month may be disputed, under the
        rulebook in force for it and the company's calendar."""
        catalog, calendar = self.catalog(), self.calendar()
        return {
            month: dispute_deadline(
                Month.parse(month),
                catalog.for_month(Month.parse(month)).dispute_days,
                calendar.is_working_day,
            )
            for month in months
        }
