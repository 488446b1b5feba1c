"""Bulk imports from the performance software and the order system, shared by
``POST /imports/{kind}`` and ``appraisal import``.

A file is CSV (a header row naming the columns) or JSON Lines (one object a
line). It is read as a stream, a block at a time, and its rows are recorded in
chunks of one transaction each, so memory stays flat however long the file is.
A row that is not valid, or that the domain refuses, is reported by number and
field and not imported; every other row is.

Rows are numbered from 1 by their place in the file: for CSV the header is row
0 and row ``n`` is the ``n``-th record after it; for JSON Lines row ``n`` is
line ``n``. Blank lines keep their number but are not rows.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import IO, Any

from marshmallow import Schema, ValidationError, fields, validate

from domain.access import Principal
from domain.application import AppraisalApp
from domain.commands import ORDER_STEPS, NewObservation, Observed, OrderRow
from domain.errors import DomainError
from domain.observations import KINDS
from domain.observations import Field as KindField
from domain.orders import workflow
from domain.text import unstorable_fields
from web.schemas import CODE, Day

ORDERS = "orders"
IMPORT_KINDS = (*KINDS, ORDERS)
FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
}
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
CHUNK_ROWS = 500
MAX_ERRORS = 1000
MAX_LINE_BYTES = 1024 * 1024
BLOCK_BYTES = 64 * 1024
# Domain fields named differently in the files.
_COLUMNS = {"occurred_on": "date"}


# Results


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


# Row schemas: one per kind; CSV cells arrive as text and are converted here


class WholeNumber(fields.Field[int]):
    default_error_messages = {"invalid": "Not a whole number."}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        number = _number(value)
        if number is None or number != number.to_integral_value():
            raise self.make_error("invalid")
        return int(number)


class Number(fields.Field[Decimal]):
    """A decimal number, in its shortest form ("100.00" is 100), so that a value
    written differently in two exports is still the same value."""

    default_error_messages = {"invalid": "Not a number."}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        number = _number(value)
        if number is None:
            raise self.make_error("invalid")
        return Decimal(format(number.normalize(), "f")) if number else Decimal(0)


def _number(value: Any) -> Decimal | None:
    """A finite decimal with at most 16 digits before the point and 10 after,
    or None."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number.adjusted() > 15:
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -10:
        return None
    return number


class Flag(fields.Field[bool]):
    """true/false, 1/0 or yes/no, in any case."""

    TRUE = frozenset({"true", "1", "yes"})
    FALSE = frozenset({"false", "0", "no"})
    default_error_messages = {  # noqa: RUF012
        "invalid": "Not a boolean: use true/false, 1/0 or yes/no."
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str | int) else ""
        if text in self.TRUE or text in self.FALSE:
            return text in self.TRUE
        raise self.make_error("invalid")


class Text(fields.String):
    """Text with surrounding whitespace removed."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs)).strip()


def _not_blank(value: str) -> None:
    if not value:
        raise ValidationError("Must not be blank.")


def _key_text(max_length: int = 200) -> Text:
    return Text(required=True, validate=[_not_blank, validate.Length(max=max_length)])


def _optional_text(default: str | None, max_length: int = 2000) -> Text:
    return Text(
        load_default=default,
        allow_none=default is None,
        validate=validate.Length(max=max_length),
    )


def _kind_field(kind_key: tuple[str, ...], spec: KindField) -> fields.Field[Any]:
    if spec.type is bool:
        return Flag(required=True)
    if spec.type is str:
        if spec.choices:
            return Text(required=True, validate=validate.OneOf(spec.choices))
        return _key_text() if spec.name in kind_key else _optional_text("")
    low, high = spec.minimum, spec.maximum
    number: type[WholeNumber | Number] = WholeNumber if spec.type is int else Number
    if low is None and high is None:
        return number(required=True)
    return number(required=True, validate=validate.Range(min=low, max=high))


def _common() -> dict[str, fields.Field[Any]]:
    return {
        "agent_id": Text(required=True, validate=CODE),
        "date": Day(required=True),
    }


@cache
def row_schema(kind: str) -> Schema:
    """The schema of one row of ``kind``; unknown fields are refused."""
    if kind == ORDERS:
        agent = Text(load_default=None, allow_none=True, validate=CODE)
        shape: dict[str, fields.Field[Any]] = {
            "order_no": _key_text(100),
            "step": Text(required=True, validate=validate.OneOf(ORDER_STEPS)),
            "date": Day(required=True),
            "agent_id": agent,
            "case": _optional_text(None, 64),
            "amount": Number(
                load_default=None, allow_none=True, validate=validate.Range(min=0)
            ),
            "batch": WholeNumber(load_default=None, allow_none=True),
            "passed": Flag(load_default=None, allow_none=True),
            "note": _optional_text(""),
            "reason": _optional_text(None, 64),
            "number": WholeNumber(
                load_default=None, allow_none=True, validate=validate.Range(min=1)
            ),
            "outcome": _optional_text(None, 64),
        }
    else:
        spec = KINDS[kind]
        shape = _common() | {f.name: _kind_field(spec.key, f) for f in spec.fields}
    return Schema.from_dict(shape, name=f"{kind.title()}Row")()


def _new_observation(values: dict[str, Any]) -> NewObservation:
    agent_id, occurred_on = values.pop("agent_id"), values.pop("date")
    return NewObservation(agent_id, occurred_on, values)


def _order_row(values: dict[str, Any]) -> OrderRow:
    return OrderRow(occurred_on=values.pop("date"), **values)


# Reading a stream of rows


@dataclass(frozen=True)
class Parsed:
    """A row as read from the file: its values, or why it could not be read.
    ``data`` is False for a CSV header."""

    number: int
    values: dict[str, Any] | None
    problems: tuple[tuple[str, str], ...] = ()
    data: bool = True


class _BadLine(Exception):
    """A line that cannot be read as text."""


class Lines:
    """The lines of a binary stream (each with its newline), read a block at a
    time. A line longer than ``MAX_LINE_BYTES`` is given as None, once, and
    skipped to its end, so no line is ever held whole beyond that."""

    def __init__(self, stream: IO[bytes], block: int = BLOCK_BYTES) -> None:
        self._stream = stream
        self._block = block
        self._buffer = bytearray()
        self._ready: deque[bytes | None] = deque()
        self._skipping = False
        self._ended = False

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> bytes | None:
        while not self._ready:
            if self._ended:
                raise StopIteration
            self._read()
        return self._ready.popleft()

    def _read(self) -> None:
        block = self._stream.read(self._block)
        if not block:
            self._ended = True
            if self._buffer and not self._skipping:
                self._ready.append(bytes(self._buffer))
            self._buffer.clear()
            return
        start = 0
        while (end := block.find(b"\n", start)) != -1:
            if self._skipping:
                self._skipping = False
            else:
                self._buffer += block[start : end + 1]
                long = len(self._buffer) > MAX_LINE_BYTES
                self._ready.append(None if long else bytes(self._buffer))
            self._buffer.clear()
            start = end + 1
        if not self._skipping:
            self._buffer += block[start:]
            if len(self._buffer) > MAX_LINE_BYTES:
                self._ready.append(None)
                self._buffer.clear()
                self._skipping = True


def _decoded(line: bytes | None, first: bool) -> str:
    if line is None:
        raise _BadLine(f"a line is longer than {MAX_LINE_BYTES} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise _BadLine("not UTF-8 text") from None
    return text.removeprefix("\ufeff") if first else text


class _TextLines:
    """Lines as text for ``csv.reader``. A line that cannot be read raises
    ``_BadLine``; the iterator carries on with the next line after that."""

    def __init__(self, lines: Lines) -> None:
        self._lines = lines
        self._first = True

    def __iter__(self) -> _TextLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        first, self._first = self._first, False
        return _decoded(line, first)


def read_rows(stream: IO[bytes], form: str, schema: Schema) -> Iterator[Parsed]:
    """The rows of a CSV or JSON Lines stream, one at a time."""
    if form == "csv":
        return _csv_rows(stream, schema)
    if form == "jsonl":
        return _jsonl_rows(stream)
    raise ValueError(f"unknown format {form!r}")


def _csv_rows(stream: IO[bytes], schema: Schema) -> Iterator[Parsed]:
    reader = csv.reader(_TextLines(Lines(stream)), strict=True)
    header: list[str] | None = None
    usable = True
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except (csv.Error, _BadLine) as error:
            if header is None:
                header, usable = [], False
                yield Parsed(0, None, (("body", f"bad header row: {error}"),), False)
            else:
                number += 1
                yield Parsed(number, None, (("body", f"not valid CSV: {error}"),))
            continue
        blank = not any(cell.strip() for cell in record)
        if header is None:
            if not blank:
                header = [cell.strip() for cell in record]
                problems = _header_problems(header, schema)
                usable = not problems
                if problems:
                    yield Parsed(0, None, problems, data=False)
            continue
        number += 1
        if blank:
            continue
        if not usable:
            yield Parsed(number, None)
        elif len(record) != len(header):
            why = f"{len(record)} values, but the header names {len(header)} columns"
            yield Parsed(number, None, (("body", why),))
        else:
            values = {n: c.strip() for n, c in zip(header, record, strict=True)}
            yield Parsed(number, {n: c for n, c in values.items() if c})


def _header_problems(header: list[str], schema: Schema) -> tuple[tuple[str, str], ...]:
    known = list(schema.fields)
    required = [n for n, f in schema.fields.items() if f.required]
    problems = [
        (f"column {i}", "a column has no name")
        for i, name in enumerate(header, start=1)
        if not name
    ]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append((name, "this column is named twice"))
        elif name and name not in known:
            problems.append((name, f"unknown column; known: {', '.join(known)}"))
        seen.add(name)
    problems += [(n, "missing column") for n in required if n not in header]
    return tuple(problems)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _jsonl_rows(stream: IO[bytes]) -> Iterator[Parsed]:
    for number, line in enumerate(Lines(stream), start=1):
        try:
            text = _decoded(line, number == 1)
        except _BadLine as error:
            yield Parsed(number, None, (("body", str(error)),))
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, RecursionError) as error:
            yield Parsed(number, None, (("body", f"not valid JSON: {error}"),))
            continue
        if not isinstance(value, dict):
            yield Parsed(number, None, (("body", "not a JSON object"),))
            continue
        yield Parsed(number, {k: v for k, v in value.items() if v is not None})


# The import loop


Recorder = Callable[
    [AppraisalApp, Principal, str, Sequence[Any], str], list[Observed | DomainError]
]


def _record_observations(
    app: AppraisalApp,
    principal: Principal,
    kind: str,
    rows: Sequence[NewObservation],
    source: str,
) -> list[Observed | DomainError]:
    """Record a chunk in one transaction. If the domain refuses any row, find
    the refused ones and record the rest."""
    try:
        return list(app.record_observations(principal, kind, rows, source))
    except DomainError:
        pass
    results: list[Observed | DomainError | None] = []
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
) -> list[Observed | DomainError]:
    return list(app.import_order_rows(principal, rows, source))


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
        on_reject: Callable[[RowError], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        if kind not in IMPORT_KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        self.app = app
        self.principal = principal
        self.kind = kind
        self.source = source
        self.schema = row_schema(kind)
        self.summary = ImportSummary(kind)
        self.chunk_rows = chunk_rows
        self.max_errors = max_errors
        self.on_reject = on_reject
        self.on_progress = on_progress
        self._recorder: Recorder = (
            _record_orders if kind == ORDERS else _record_observations
        )
        self._build: Callable[[dict[str, Any]], Any] = (
            _order_row if kind == ORDERS else _new_observation
        )
        # (row number, what to record, or the problems that reject it)
        self._chunk: list[tuple[int, Any]] = []
        self._read_to = 0
        self._position = 0

    def run(self, stream: IO[bytes], form: str) -> ImportSummary:
        for parsed in read_rows(stream, form, self.schema):
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
        self._read_to = parsed.number
        unstorable = unstorable_fields(parsed.values or {})
        if parsed.values is None:
            self._chunk.append((parsed.number, parsed.problems))
        elif unstorable:
            self._chunk.append((parsed.number, _problems(unstorable)))
        else:
            try:
                loaded = self.schema.load(parsed.values)
            except ValidationError as invalid:
                self._chunk.append((parsed.number, _problems(invalid.messages)))
            else:
                self._chunk.append((parsed.number, self._build(loaded)))
        if len(self._chunk) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        chunk, self._chunk = self._chunk, []
        valid = [row for _, row in chunk if not isinstance(row, tuple)]
        outcomes = iter(
            self._recorder(self.app, self.principal, self.kind, valid, self.source)
            if valid
            else []
        )
        for number, row in chunk:
            self.summary.rows += 1
            if isinstance(row, tuple):
                self._reject(number, row)
                continue
            outcome = next(outcomes)
            if isinstance(outcome, DomainError):
                field_name = outcome.field or "row"
                self._reject(
                    number, ((_COLUMNS.get(field_name, field_name), outcome.message),)
                )
            else:
                self._count(outcome)
        if self.on_progress is not None:
            self.on_progress(self._read_to)

    def _count(self, observed: Observed) -> None:
        summary = self.summary
        if observed.outcome == "recorded":
            summary.recorded += 1
        elif observed.outcome == "corrected":
            summary.corrected += 1
        else:
            summary.unchanged += 1
        if observed.position is not None:
            self._position = max(self._position, observed.position)

    def _reject(self, number: int, problems: tuple[tuple[str, str], ...]) -> None:
        self.summary.rejected += 1
        self._report(number, problems)

    def _report(self, number: int, problems: tuple[tuple[str, str], ...]) -> None:
        for name, message in problems:
            error = RowError(number, name, message)
            if len(self.summary.errors) < self.max_errors:
                self.summary.errors.append(error)
            if self.on_reject is not None:
                self.on_reject(error)


def _problems(messages: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(messages, Mapping):
        return tuple(
            (str(name), "; ".join(_texts(found))) for name, found in messages.items()
        )
    return (("body", "; ".join(_texts(messages))),)


def _texts(found: Any) -> list[str]:
    if isinstance(found, list | tuple):
        return [str(m) for m in found]
    return [str(found)]


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
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a CSV or JSON Lines stream of rows of ``kind`` (an observation kind
    or ``orders``), ``chunk_rows`` rows a transaction. ``on_reject`` hears of
    every problem (the summary keeps the first ``max_errors``); ``on_progress``
    hears the last row number read after each chunk."""
    importer = Importer(
        app,
        principal,
        kind,
        source=source,
        chunk_rows=chunk_rows,
        max_errors=max_errors,
        on_reject=on_reject,
        on_progress=on_progress,
    )
    return importer.run(stream, form)


# Documentation


_TYPES = {int: "whole number", Decimal: "number", bool: "true/false", str: "text"}


def _order_columns() -> tuple[tuple[str, str], ...]:
    flow = workflow()

    def one_of(values: Sequence[Any]) -> str:
        return "/".join(str(v) for v in values)

    return (
        ("order_no", "the order system's number (required)"),
        ("step", f"one of {one_of(ORDER_STEPS)} (required)"),
        ("date", "YYYY-MM-DD, when the step happened (required)"),
        ("agent_id", "submit: the owner (required); other steps: who handled it"),
        (
            "case",
            f"submit: {one_of(flow.submit_cases)}; "
            f"process: {one_of(flow.process_cases)}",
        ),
        ("amount", "submit: the amount (a re-imported new amount corrects it)"),
        ("batch", f"check: {one_of(sorted(flow.checkers))}"),
        ("passed", "check: true/false"),
        ("note", "check: what was seen (optional)"),
        ("reason", f"dispute: {one_of(flow.dispute_reasons)}"),
        ("number", "dispute, resolve: the dispute's number, from 1"),
        (
            "outcome",
            f"resolve: {one_of(flow.dispute_outcomes)}; "
            f"finish: {one_of(flow.finish_outcomes)}",
        ),
    )


def _describe_field(spec: KindField, key: tuple[str, ...]) -> str:
    parts = [_TYPES.get(spec.type, spec.type.__name__)]
    if spec.choices:
        parts = [f"one of {'/'.join(spec.choices)}"]
    if spec.minimum is not None:
        parts.append(f">= {spec.minimum}")
    if spec.maximum is not None:
        parts.append(f"<= {spec.maximum}")
    optional = spec.type is str and not spec.choices and spec.name not in key
    if optional:
        parts.append("optional")
    return f"`{spec.name}` ({', '.join(parts)}): {spec.meaning}"


def describe_columns() -> str:
    """Each kind's columns, for the API documentation and the CLI's help."""
    lines = []
    for name, kind in KINDS.items():
        columns = ["`agent_id`", "`date` (YYYY-MM-DD)"] + [
            _describe_field(f, kind.key) for f in kind.fields
        ]
        lines.append(f"- `{name}` — {kind.meaning}: " + "; ".join(columns) + ".")
    orders = "; ".join(f"`{n}`: {meaning}" for n, meaning in _order_columns())
    lines.append(f"- `{ORDERS}` — a step of an order, from the order system: {orders}.")
    return "\n".join(lines)
