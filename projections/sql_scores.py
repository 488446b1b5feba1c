"""Scorecard totals and the rulebook versions a view honours, shared by both
SQL backends and mixed into the scoreboard view.

A view stores only each agent-month's total (and the version it was scored
under): it re-scores every agent-month a run of events touched, from its whole
ledger, totalled as ``domain.scoring.score`` totals; everything else on a
scorecard is re-derived from the ledger when read.

Where it can, it re-scores from the agent-month's running total instead
(``projections.sql_tallies``): a cost that does not grow with the month.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from domain.month import Month
from domain.register import Catalog, Publication
from domain.rulebook import Rulebook
from domain.scoring import CENT, Fact, score
from domain.tally import Tally
from projections.fold import Changes
from projections.records import NOW, PublicationRecord, moment
from projections.retry import budget_of, retrying
from projections.sql_tallies import AgentMonth, Batch, RunningTotals
from projections.tables import columns

PUBLICATION_COLUMNS = columns("publications")
SCORECARD_COLUMNS = columns("scorecards")
_MOVED = threading.Lock()
RESCORE_CHUNK = 100  # agent-months per ledger query: bounds memory and parameters


def _params(names: str) -> str:
    return ", ".join(f":{c.strip()}" for c in names.split(","))


def _centi(value: Decimal) -> int:
    return int(value / CENT)


class ScoreTables(RunningTotals):
    """Statements and methods for scorecards and publications."""

    lineage: tuple[int, ...]
    _cached: tuple[int, Catalog] | None
    _checked_at: int | None = None  # the tracked position the catalog was checked at
    seen: tuple[int, int] | None  # see ScoreboardView.seen
    moved: int | None  # see ScoreboardView.moved
    rescore_chunk = RESCORE_CHUNK
    datastore: Any
    SELECT_FACTS_OF: str
    SELECT_AGENT_MONTHS_FROM: str

    INSERT_PUBLICATION = (
        f"INSERT INTO {{publications}} ({PUBLICATION_COLUMNS}) "
        f"VALUES ({_params(PUBLICATION_COLUMNS)})"
    )
    SELECT_PUBLICATIONS = (
        f"SELECT {PUBLICATION_COLUMNS} FROM {{publications}} "
        "WHERE position <= :as_of ORDER BY position"
    )
    COUNT_PUBLICATIONS = "SELECT COUNT(*) AS n FROM {publications}"
    UPSERT_SCORECARD = (
        f"INSERT INTO {{scorecards}} ({SCORECARD_COLUMNS}) "
        f"VALUES ({_params(SCORECARD_COLUMNS)}) "
        "ON CONFLICT (agent_id, month) DO UPDATE "
        "SET total_centi = excluded.total_centi, rulebook_id = excluded.rulebook_id, "
        "rulebook_version = excluded.rulebook_version, "
        "position = excluded.position"
    )
    DELETE_SCORECARD = (
        "DELETE FROM {scorecards} WHERE agent_id = :agent_id AND month = :month"
    )
    SELECT_SCORECARD_ROWS = (
        "SELECT agent_id, month, total_centi, rulebook_id, rulebook_version "
        "FROM {scorecards} ORDER BY agent_id, month"
    )
    SELECT_TOTALS = (
        "SELECT agent_id, total_centi FROM {scorecards} WHERE month = :month"
    )
    MARK_DIRTY = (
        "INSERT INTO {dirty} (agent_id, month, since) "
        "VALUES (:agent_id, :month, :since) ON CONFLICT (agent_id, month) DO NOTHING"
    )
    CLAIM_DIRTY = "DELETE FROM {dirty} RETURNING agent_id, month"
    """One statement takes every marked agent-month (the rows it deletes stay
    locked until this transaction ends: a batch marking one of them meanwhile
    waits, and marks it again once this transaction has scored it)."""
    SELECT_SETTLED = (
        "SELECT (SELECT MAX(notification_id) FROM {tracking} "
        "WHERE application_name = :upstream) AS tracked, "
        "(SELECT MIN(since) FROM {dirty}) AS since, "
        "(SELECT counter FROM {moves} WHERE scope = '') AS moved"
    )
    NEXT_MOVE = (
        "INSERT INTO {moves} AS m (scope, counter) VALUES ('', 1) "
        "ON CONFLICT (scope) DO UPDATE SET counter = m.counter + 1 "
        "RETURNING counter"
    )
    """The next counter: the row stays locked until the transaction ends, so
    counters commit in their order (a reader that sees one sees all before)."""
    RECORD_MOVE = (
        "INSERT INTO {moves} (scope, counter) VALUES (:scope, :counter) "
        "ON CONFLICT (scope) DO UPDATE SET counter = excluded.counter"
    )
    SELECT_MOVES = (
        "SELECT scope, counter FROM {moves} WHERE counter > :since AND scope <> ''"
    )

    # Deferred re-scoring: a long catch-up marks the agent-months its batches
    # touch (in each batch's transaction) and scores each once at the end,
    # instead of re-reading a month's whole ledger in every batch.

    def _score_touched(
        self,
        cursor: Any,
        touched: set[AgentMonth],
        since: int | None,
        batch: Batch | None = None,
        settling: bool = False,
    ) -> set[AgentMonth]:
        """Re-score ``touched`` with whatever earlier batches left to score, or,
        with ``since`` (the batch's first position), leave them marked (their
        running totals kept up to date all the same). Returns the agent-months
        it scored or marked."""
        self._announce(cursor)  # every fold and scoring moves the positions
        batch = batch or Batch()
        if since is not None:
            if touched:
                self._mark_dirty(cursor, touched, since)
                catalog = self._catalog(cursor)
                for key in touched:
                    tally = self._tally_for(key, batch, catalog)
                    if tally is None:
                        batch.stale.add(key)
                    else:
                        batch.made[key] = tally
            return touched
        cursor.execute(self.CLAIM_DIRTY, {})  # a write first: the write lock
        left = {(r["agent_id"], r["month"]) for r in cursor.fetchall()}
        if settling:  # no fold: the tallies hold what is tracked, or nothing
            cursor.execute(self.SELECT_TRACKED, {})
            batch.tallied = self._tallied(cursor, cursor.fetchone()["n"] or 0)
        if touched or left:
            self._rescore(cursor, sorted(touched | left), batch)
        return touched | left

    def _record_moves(
        self, cursor: Any, scored: set[AgentMonth], scopes: Iterable[str] = ()
    ) -> None:
        """Note, in the transaction that changes them, which months' reads
        changed (the months of the agent-months ``scored`` and ``scopes``,
        where ``EVERY_MONTH`` is all), under the next counter; last in the
        transaction, so the counter's row is locked as briefly as can be."""
        months = {*scopes, *(month for _, month in scored)}
        if not months:
            return
        cursor.execute(self.NEXT_MOVE, {})
        counter = cursor.fetchone()["counter"]
        rows = [{"scope": scope, "counter": counter} for scope in sorted(months)]
        cursor.executemany(self.RECORD_MOVE, rows)

    def moves_since(self, counter: int) -> dict[str, int]:
        """Each scope changed after ``counter``, with its last counter."""
        rows = self._select(self.SELECT_MOVES, {"since": counter})  # type: ignore[attr-defined]
        return {r["scope"]: int(r["counter"]) for r in rows}

    def _announce(self, cursor: Any) -> None:
        """Tell other processes, once this transaction commits, that the read
        models moved (PostgreSQL: ``projections.notices``)."""

    def _mark_dirty(
        self, cursor: Any, touched: set[tuple[str, str]], since: int
    ) -> None:
        marks = [{"agent_id": a, "month": m, "since": since} for a, m in touched]
        cursor.executemany(self.MARK_DIRTY, marks)

    def settle(self) -> None:
        """Score every agent-month a deferred catch-up left marked."""

        def once() -> None:
            with (
                self._tallying() as batch,
                self._transaction(commit=True) as cursor,  # type: ignore[attr-defined]
            ):
                scored = self._score_touched(cursor, set(), None, batch, settling=True)
                self._record_moves(cursor, scored)

        retrying(budget_of(self.datastore), once)

    def positions(self, upstream: str) -> tuple[int, int]:
        """The last position folded, and the last one every score includes
        (before the first batch whose agent-months wait to be scored)."""
        rows = self._select(self.SELECT_SETTLED, {"upstream": upstream})  # type: ignore[attr-defined]
        tracked = int(rows[0]["tracked"] or 0)
        since = rows[0]["since"]
        with _MOVED:  # never lowered: a read may rely on what any read found
            self.moved = max(self.moved or 0, int(rows[0]["moved"] or 0))
        self.seen = (tracked, tracked if since is None else int(since) - 1)
        return self.seen

    def _months_under_new_rules(
        self, cursor: Any, changes: Changes
    ) -> set[tuple[str, str]]:
        """Every agent-month a version this view honours now applies to."""
        honoured = [p for p in changes.publications if p["generation"] in self.lineage]
        if not honoured:
            return set()
        earliest = min(p["effective_from"] for p in honoured)
        cursor.execute(self.SELECT_AGENT_MONTHS_FROM, {"month": earliest, "as_of": NOW})
        return {(row["agent_id"], row["month"]) for row in cursor.fetchall()}

    def _rescore(self, cursor: Any, touched: list[AgentMonth], batch: Batch) -> None:
        """Score every touched agent-month: from its running total where that
        can be had (``_tally_for``), else from its whole ledger, a chunk of
        agent-months at a time (one query, one batch of writes each)."""
        catalog = self._catalog(cursor)
        rows: list[dict[str, Any]] = []
        from_ledger = []
        for key in touched:
            tally = self._tally_for(key, batch, catalog)
            if tally is None or not tally.position:  # none, or all excluded
                from_ledger.append(key)
                continue
            batch.made[key] = tally
            rows.append(_tallied_row(key, tally))
        if rows:
            cursor.executemany(self.UPSERT_SCORECARD, rows)
        size = self.rescore_chunk
        for start in range(0, len(from_ledger), size):
            chunk = from_ledger[start : start + size]
            self._rescore_from_ledgers(cursor, catalog, chunk, batch)

    def _rescore_from_ledgers(
        self, cursor: Any, catalog: Catalog, chunk: list[AgentMonth], batch: Batch
    ) -> None:
        params: dict[str, Any] = {"as_of": NOW}
        for i, (agent_id, month) in enumerate(chunk):
            params[f"a{i}"], params[f"m{i}"] = agent_id, month
        pairs = ", ".join(f"(:a{i}, :m{i})" for i in range(len(chunk)))
        cursor.execute(self._dialect(self.SELECT_FACTS_OF.format(pairs=pairs)), params)
        ledgers: dict[AgentMonth, list[Fact]] = {key: [] for key in chunk}
        for row in cursor.fetchall():
            ledgers[(row["agent_id"], row["month"])].append(self._fact(row))
        rows, emptied = [], []
        for key, facts in ledgers.items():
            if not facts:  # every fact of the month was corrected away
                emptied.append({"agent_id": key[0], "month": key[1]})
                batch.stale.add(key)
                continue
            rulebook = catalog.for_month(Month.parse(key[1]))
            if Tally.keeps(rulebook):
                tally = Tally(rulebook)
                for fact in facts:  # in log order
                    tally.add(fact)
                batch.made[key] = tally
                rows.append(_tallied_row(key, tally))
            else:  # a kind of item no tally keeps: scored whole every time
                batch.stale.add(key)
                total = score(rulebook, facts).total
                position = max(f.position for f in facts)
                rows.append(_scorecard_row(key, rulebook, total, position))
        if emptied:
            cursor.executemany(self.DELETE_SCORECARD, emptied)
        if rows:
            cursor.executemany(self.UPSERT_SCORECARD, rows)

    # Rules

    def _catalog(self, cursor: Any) -> Catalog:
        """The catalog, re-read only when a publication was added since."""
        cursor.execute(self.COUNT_PUBLICATIONS, {})
        count = cursor.fetchone()["n"]
        if self._cached is None or self._cached[0] != count:
            cursor.execute(self.SELECT_PUBLICATIONS, {"as_of": NOW})
            publications = [self._publication(row) for row in cursor.fetchall()]
            self._cached = (
                count,
                Catalog([p.publication for p in publications], self.lineage),
            )
        return self._cached[1]

    def catalog(self, as_of: int = NOW) -> Catalog:
        if as_of == NOW:
            return retrying(
                budget_of(self.datastore),  # type: ignore[attr-defined]
                self._current_catalog,
            )
        return Catalog([p.publication for p in self.publications(as_of)], self.lineage)

    def _current_catalog(self) -> Catalog:
        """The catalog, checked against the store only if the view folded
        something since it was last checked: publications arrive by folding,
        which moves the tracked position a reader reads first."""
        seen = self.seen[0] if self.seen else None
        if self._cached is not None and seen is not None and seen == self._checked_at:
            return self._cached[1]
        with self._transaction(commit=False) as cursor:
            catalog = self._catalog(cursor)
        self._checked_at = seen
        return catalog

    def publications(self, as_of: int = NOW) -> list[PublicationRecord]:
        rows = self._select(self.SELECT_PUBLICATIONS, {"as_of": as_of})
        return [self._publication(r) for r in rows]

    def _publication(self, row: Any) -> PublicationRecord:
        publication = Publication(
            rulebook_id=row["rulebook_id"],
            version=row["version"],
            effective_from=Month.parse(row["effective_from"]),
            generation=row["generation"],
            document=json.loads(row["document"]),
            sequence=row["position"],
            published_by=row["published_by"],
        )
        return PublicationRecord(
            publication=publication,
            honoured=publication.generation in self.lineage,
            published_at=moment(row["published_at"]),
            position=row["position"],
        )

    def totals(self, month: Month) -> dict[str, Decimal]:
        """Every stored scorecard total of the month (agents with facts)."""
        rows = self._select(self.SELECT_TOTALS, {"month": str(month)})
        return {r["agent_id"]: Decimal(r["total_centi"]) * CENT for r in rows}

    def scorecard_rows(self) -> list[tuple[str, str, int, str, int]]:
        return [
            (
                r["agent_id"],
                r["month"],
                r["total_centi"],
                r["rulebook_id"],
                r["rulebook_version"],
            )
            for r in self._select(self.SELECT_SCORECARD_ROWS, {})
        ]


def _scorecard_row(
    key: AgentMonth, rulebook: Rulebook, total: Decimal, position: int
) -> dict[str, Any]:
    """The stored row of an agent-month scored ``total`` under ``rulebook``,
    as of its last fact's ``position``."""
    return {
        "agent_id": key[0],
        "month": key[1],
        "total_centi": _centi(total),
        "rulebook_id": rulebook.id,
        "rulebook_version": rulebook.version,
        "position": position,
    }


def _tallied_row(key: AgentMonth, tally: Tally) -> dict[str, Any]:
    return _scorecard_row(key, tally.rulebook, tally.total, tally.position)
