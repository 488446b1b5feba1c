"""The import loop: rows in, chunks recorded, a summary out.

A row that is not valid, or that the domain refuses, is reported by number and
field and not imported; every other row is. Each chunk is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from marshmallow import ValidationError

from domain.access import Principal
from domain.application import AppraisalApp
from domain.commands import NewObservation, Observed, OrderRow
from domain.errors import DomainError, NotVisibleError
from domain.text import N_, storable, unstorable_fields
from web import access
from web.importing.loader import RowLoader
from web.importing.reading import Parsed, Problems, read_rows
from web.importing.rows import (
    IMPORT_KINDS,
    ORDERS,
    column_of,
    columns,
    new_observation,
    order_row,
    row_schema,
)

CHUNK_ROWS = 500
MAX_ERRORS = 1000
REASONS_KEPT = 20  # distinct reasons an import lists for rows it did not score


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportSummary:
    """What an import did. ``errors`` lists at most ``MAX_ERRORS`` problems;
    ``rejected`` counts every rejected row."""

    kind: str
    rows: int = 0
    recorded: int = 0
    corrected: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    position: int = 0
    unscored: int = 0
    """Rows recorded (or corrected) that the rules in force for their month do
    not score; ``unscored_reasons`` says why, each reason once."""
    unscored_reasons: list[str] = field(default_factory=list)


Outcome = Observed | DomainError
Recorder = Callable[[AppraisalApp, Principal, str, Sequence[Any], str], list[Outcome]]


def _record_observations(
    app: AppraisalApp,
    principal: Principal,
    kind: str,
    rows: Sequence[NewObservation],
    source: str,
) -> list[Outcome]:
    """Record a chunk in one transaction. If the domain refuses any row, find
    the refused ones and record the rest."""
    try:
        return list(app.record_observations(principal, kind, rows, source))
    except DomainError:
        pass
    results: list[Outcome | None] = []
    accepted: list[NewObservation] = []
    for new in rows:
        try:
            app.check_observation(principal, kind, new)
        except DomainError as refused:
            results.append(refused)
        else:
            results.append(None)
            accepted.append(new)
    done = iter(
        app.record_observations(principal, kind, accepted, source) if accepted else []
    )
    return [next(done) if r is None else r for r in results]


def _record_orders(
    app: AppraisalApp,
    principal: Principal,
    kind: str,
    rows: Sequence[OrderRow],
    source: str,
) -> list[Outcome]:
    return list(app.import_order_rows(principal, rows, source))


@dataclass(frozen=True)
class Listeners:
    """Who hears of an import as it goes: every problem, and the summary so
    far after each chunk."""

    on_reject: Callable[[RowError], None] | None = None
    on_progress: Callable[[ImportSummary], None] | None = None


class Importer:
    """Rows in, chunks recorded, a summary out."""

    def __init__(
        self,
        app: AppraisalApp,
        principal: Principal,
        kind: str,
        *,
        source: str,
        chunk_rows: int = CHUNK_ROWS,
        max_errors: int = MAX_ERRORS,
        listeners: Listeners = Listeners(),
    ) -> None:
        self.app, self.principal, self.kind, self.source = app, principal, kind, source
        self.loader, self.columns = RowLoader(row_schema(kind)), columns(kind)
        self.column_of = column_of(kind)
        self.summary = ImportSummary(kind)
        self.chunk_rows, self.max_errors = chunk_rows, max_errors
        self.listeners = listeners
        orders = kind == ORDERS
        self._recorder: Recorder = _record_orders if orders else _record_observations
        self._build: Callable[[dict[str, Any]], Any] = (
            order_row if orders else new_observation
        )
        # (row number, what to record or the problems that reject it, and the
        # name in the file of each column it named by an older name)
        self._chunk: list[tuple[int, Any, dict[str, str]]] = []
        self._position = 0

    def run(self, stream: IO[bytes], form: str) -> ImportSummary:
        for parsed in read_rows(stream, form, self.columns):
            self.add(parsed)
        self.flush()
        self.summary.position = (
            self._position or self.app.recorder.max_notification_id() or 0
        )
        return self.summary

    def add(self, parsed: Parsed) -> None:
        if not parsed.data:
            self._report(parsed.number, parsed.problems)
            return
        if parsed.values is None:
            self._chunk.append((parsed.number, parsed.problems, {}))
        else:
            values, written = self.columns.renamed(parsed.values)
            loaded = self._loaded(parsed.values, values, written)
            self._chunk.append((parsed.number, loaded, written))
        if len(self._chunk) >= self.chunk_rows:
            self.flush()

    def _loaded(
        self, given: dict[str, Any], values: dict[str, Any], written: dict[str, str]
    ) -> Any:
        """What to record for a row, or the problems that reject it."""
        unstorable = {} if _storable_row(given) else unstorable_fields(given)
        if unstorable:
            return _problems(unstorable)
        twice = self.columns.twice(given) if written else ()
        if twice:
            return twice
        try:
            return self._build(self.loader.load(values))
        except ValidationError as invalid:
            return _problems(invalid.messages, written)

    def flush(self) -> None:
        chunk, self._chunk = self._chunk, []
        valid = [row for _, row, _ in chunk if not isinstance(row, tuple)]
        outcomes = iter(
            self._recorder(self.app, self.principal, self.kind, valid, self.source)
            if valid
            else []
        )
        for number, row, written in chunk:
            self.summary.rows += 1
            if isinstance(row, tuple):
                self._reject(number, row)
                continue
            outcome = next(outcomes)
            if isinstance(outcome, DomainError):
                named = outcome.field or "row"
                column = self.column_of.get(named, named)
                self._reject(number, ((written.get(column, column), outcome.message),))
            else:
                self._count(outcome)
        if self.listeners.on_progress is not None:
            self.listeners.on_progress(self.summary)

    def _count(self, observed: Observed) -> None:
        summary = self.summary
        if observed.outcome == "recorded":
            summary.recorded += 1
        elif observed.outcome == "corrected":
            summary.corrected += 1
        else:
            summary.unchanged += 1
        if observed.scored is False:
            summary.unscored += 1
            reason = observed.reason or ""
            if (
                reason not in summary.unscored_reasons
                and len(summary.unscored_reasons) < MAX_ERRORS
            ):
                summary.unscored_reasons.append(reason)
        if observed.position is not None:
            self._position = max(self._position, observed.position)

    def _reject(self, number: int, problems: Problems) -> None:
        self.summary.rejected += 1
        self._report(number, problems)

    def _report(self, number: int, problems: Problems) -> None:
        for name, message in problems:
            error = RowError(number, name, message)
            if len(self.summary.errors) < self.max_errors:
                self.summary.errors.append(error)
            if self.listeners.on_reject is not None:
                self.listeners.on_reject(error)


def _storable_row(given: Mapping[str, Any]) -> bool:
    """Whether every name and value of a row of text can be stored, in one
    search (``unstorable_fields`` walks each, about 20 µs a row)."""
    texts = [*given, *given.values()]
    return all(type(t) is str for t in texts) and storable("".join(texts))


def _problems(messages: Any, written: Mapping[str, str] | None = None) -> Problems:
    """Marshmallow's messages, by the name the file gave each column."""
    if isinstance(messages, Mapping):
        names = written or {}
        return tuple(
            (names.get(str(name), str(name)), "; ".join(_texts(found)))
            for name, found in messages.items()
        )
    return (("body", "; ".join(_texts(messages))),)


def _texts(found: Any) -> list[str]:
    if isinstance(found, list | tuple):
        return [str(m) for m in found]
    return [str(found)]


def check_import(principal: Principal, kind: str) -> None:
    """Refuse an import that is not an admin's or of no known kind."""
    access.require(principal, access.ADMIN)
    if kind not in IMPORT_KINDS:
        known = ", ".join(IMPORT_KINDS)
        unknown = N_("No import kind {kind!r}; known: {known}.")
        raise NotVisibleError(unknown, kind=kind, known=known)


def import_rows(
    app: AppraisalApp,
    principal: Principal,
    kind: str,
    stream: IO[bytes],
    form: str,
    *,
    source: str,
    chunk_rows: int = CHUNK_ROWS,
    max_errors: int = MAX_ERRORS,
    on_reject: Callable[[RowError], None] | None = None,
    on_progress: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import a CSV or JSON Lines stream of rows of ``kind`` (an observation kind
    or ``orders``), ``chunk_rows`` rows a transaction. ``on_reject`` hears of
    every problem (the summary keeps the first ``max_errors``); ``on_progress``
    hears the summary so far after each chunk. Only an admin may import."""
    check_import(principal, kind)
    importer = Importer(
        app,
        principal,
        kind,
        source=source,
        chunk_rows=chunk_rows,
        max_errors=max_errors,
        listeners=Listeners(on_reject, on_progress),
    )
    return importer.run(stream, form)
