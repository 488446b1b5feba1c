"""Running totals of a scoreboard view's agent-months (``domain.tally``),
mixed into its scoring (``projections.sql_scores``).

A view keeps, in this process, the running total of the agent-months it
scored last: a batch that only adds facts to such a month adds them to its
tally, a cost that does not grow with the month, instead of reading and
scoring the whole ledger again; a long catch-up keeps them through its
deferred batches, so its final scoring reads no ledger of a month it tallied.
A month a batch corrects, excludes from or re-rules, a tally of another
rulebook, and every tally when another process folded a batch in between, are
scored from the ledger as before; the tallies change only once their
transaction commits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from domain.month import Month
from domain.register import Catalog
from domain.tally import Tally

TALLIES_KEPT = 10_000  # agent-months whose running totals a view keeps
UNKNOWN_KEPT = 50_000  # agent-months known to hold facts no tally has
AgentMonth = tuple[str, str]


@dataclass
class Tallies:
    """A view's running totals: those it keeps, and the tracked position
    through which they hold every fact this view folded (None: not known).
    While ``complete``, an agent-month with no tally that is not ``unknown``
    holds no fact at all (this process has tallied the view since it was
    empty), so its tally starts empty instead of from a read of its ledger."""

    kept: OrderedDict[AgentMonth, Tally] = field(default_factory=OrderedDict)
    through: int | None = None
    complete: bool = False
    unknown: set[AgentMonth] = field(default_factory=set)

    def forget(self) -> None:
        self.kept.clear()
        self.unknown.clear()
        self.complete = False


@dataclass
class Batch:
    """What a transaction's scoring does to the tallies once it commits: the
    tallies it made or added to, and those it left stale."""

    made: dict[AgentMonth, Tally] = field(default_factory=dict)
    stale: set[AgentMonth] = field(default_factory=set)
    tallied: bool = False
    """Whether the tallies hold every fact folded before this transaction."""
    changed: set[AgentMonth] = field(default_factory=set)
    """Months it does more to than add facts (corrections, new rules)."""
    appended: dict[AgentMonth, list[dict[str, Any]]] = field(default_factory=dict)
    """The facts it adds, by month."""


class RunningTotals:
    """Statements and methods of a view's running totals."""

    tallies: Tallies
    _fact: Any  # a ledger row (or a fold's own fact row) as a fact

    SELECT_TRACKED = "SELECT MAX(notification_id) AS n FROM {tracking}"
    ANY_FACT = "SELECT 1 AS one FROM {facts} LIMIT 1"

    @contextmanager
    def _tallying(self, through: int | None = None) -> Iterator[Batch]:
        """A transaction's scoring (entered before it, left after its commit):
        its tallies are kept once it commits, as of tracked position
        ``through`` if it folded (None: a scoring of its own); if it fails,
        none are."""
        batch = Batch()
        try:
            yield batch
        except BaseException:
            self.tallies = Tallies()
            raise
        tallies = self.tallies
        for key in batch.stale:
            tallies.kept.pop(key, None)
            tallies.unknown.add(key)
        for key, tally in batch.made.items():
            tallies.kept[key] = tally
            tallies.kept.move_to_end(key)
            tallies.unknown.discard(key)
        while len(tallies.kept) > TALLIES_KEPT:
            tallies.unknown.add(tallies.kept.popitem(last=False)[0])
        if len(tallies.unknown) > UNKNOWN_KEPT:
            tallies.forget()
        if through is not None:
            tallies.through = through

    def _tallied(self, cursor: Any, follows: int | None) -> bool:
        """Whether the running totals hold every fact folded before a batch
        that follows tracked position ``follows`` (this process folded the
        last batch, or none yet): asked once the transaction holds the write
        lock (SQLite fails a read transaction that turns into a write after
        another process wrote). A view that holds no fact yet starts its
        tallies complete."""
        tallies = self.tallies
        if follows is None:  # a run folded outside a catch-up
            tallies.forget()
            tallies.through = None
            return False
        if tallies.through is None:  # this process's first fold of the view
            tallies.forget()
            cursor.execute(self.ANY_FACT, {})
            tallies.complete = cursor.fetchone() is None
            tallies.through = follows
        if follows != tallies.through:  # another process folded meanwhile
            tallies.forget()
            return False
        return True

    def _tally_for(
        self, key: AgentMonth, batch: Batch, catalog: Catalog
    ) -> Tally | None:
        """``key``'s running total with the facts ``batch`` adds to it, if one
        can be had without reading its ledger: None if not."""
        if not batch.tallied or key in batch.changed:
            return None
        tallies = self.tallies
        rulebook = catalog.for_month(Month.parse(key[1]))
        kept = tallies.kept.get(key)
        added = batch.appended.get(key, ())
        if kept is not None and kept.rulebook is rulebook:
            tally = kept.copy() if added else kept
        elif (
            kept is None
            and tallies.complete
            and key not in tallies.unknown
            and Tally.keeps(rulebook)
        ):
            tally = Tally(rulebook)
        else:
            return None
        for fact in added:
            if fact["excluded"] is None:
                tally.add(self._fact(fact))  # type: ignore[attr-defined]
        return tally
