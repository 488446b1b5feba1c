"""Reading a file as a stream of rows: CSV (a header row naming the columns)
or JSON Lines (one object a line), a block at a time.

Rows are numbered from 1 by their place in the file: for CSV the header is row
0 and row ``n`` is the ``n``-th record after it; for JSON Lines row ``n`` is
line ``n``. Blank lines keep their number but are not rows.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
}
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_LINE_BYTES = 1024 * 1024
BLOCK_BYTES = 64 * 1024
Problems = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Columns:
    """The columns a file of one kind may name, those it must name, and the
    older names (``aliases``) some of them still go by in files users have."""

    names: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def of(self, name: str) -> str:
        """The column a name in a file stands for."""
        return self.aliases.get(name, name)

    def renamed(self, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """A row's values by column, and the name each renamed column had."""
        if not self.aliases.keys() & values.keys():
            return values, {}
        written = {self.of(name): name for name in values if name in self.aliases}
        return {self.of(name): value for name, value in values.items()}, written

    def twice(self, values: Mapping[str, Any]) -> Problems:
        """The columns a row names twice, once by an older name."""
        return tuple(
            (name, f"the same column as {self.of(name)}")
            for name in values
            if name in self.aliases and self.of(name) in values
        )


@dataclass(frozen=True)
class Parsed:
    """A row as read from the file: its values, or why it could not be read.
    ``data`` is False for a CSV header."""

    number: int
    values: dict[str, Any] | None
    problems: Problems = ()
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


def read_rows(stream: IO[bytes], form: str, columns: Columns) -> Iterator[Parsed]:
    """The rows of a CSV or JSON Lines stream, one at a time, by the names the
    file gives their columns."""
    if form == "csv":
        return _csv_rows(stream, columns)
    if form == "jsonl":
        return _jsonl_rows(stream)
    raise ValueError(f"unknown format {form!r}")


def _records(stream: IO[bytes]) -> Iterator[list[str] | Exception]:
    """The CSV records of a stream, or the error that stopped one being read."""
    reader = csv.reader(_TextLines(Lines(stream)), strict=True)
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except (csv.Error, _BadLine) as error:
            yield error


def _csv_rows(stream: IO[bytes], columns: Columns) -> Iterator[Parsed]:
    header: list[str] | None = None
    usable = True
    number = 0
    for record in _records(stream):
        if isinstance(record, Exception):
            if header is None:
                header, usable = [], False
                yield Parsed(0, None, (("body", f"bad header row: {record}"),), False)
            else:
                number += 1
                yield Parsed(number, None, (("body", f"not valid CSV: {record}"),))
            continue
        blank = not any(cell.strip() for cell in record)
        if header is None:
            if not blank:
                header = [cell.strip() for cell in record]
                problems = _header_problems(header, columns)
                usable = not problems
                if problems:
                    yield Parsed(0, None, problems, data=False)
            continue
        number += 1
        if not blank:
            yield _csv_row(number, header, record) if usable else Parsed(number, None)


def _csv_row(number: int, header: list[str], record: list[str]) -> Parsed:
    if len(record) != len(header):
        why = f"{len(record)} values, but the header names {len(header)} columns"
        return Parsed(number, None, (("body", why),))
    values = {n: c.strip() for n, c in zip(header, record, strict=True)}
    return Parsed(number, {n: c for n, c in values.items() if c})


def _header_problems(header: list[str], columns: Columns) -> Problems:
    known = ", ".join(columns.names)
    problems = [
        (f"column {i}", "a column has no name")
        for i, name in enumerate(header, start=1)
        if not name
    ]
    seen: dict[str, str] = {}
    for name in filter(None, header):
        column = columns.of(name)
        if column in seen:
            earlier = seen[column]
            why = "named twice" if earlier == name else f"the same as {earlier}"
            problems.append((name, f"this column is {why}"))
        elif column not in columns.names:
            problems.append((name, f"unknown column; known: {known}"))
        seen.setdefault(column, name)
    problems += [(n, "missing column") for n in columns.required if n not in seen]
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
        if text.strip():
            yield _jsonl_row(number, text)


def _jsonl_row(number: int, text: str) -> Parsed:
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        return Parsed(number, None, (("body", f"not valid JSON: {error}"),))
    if not isinstance(value, dict):
        return Parsed(number, None, (("body", "not a JSON object"),))
    return Parsed(number, {k: v for k, v in value.items() if v is not None})
