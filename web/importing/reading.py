"""Reading a file as a stream of rows: CSV (a header row naming the columns)
or JSON Lines (one object a line), a block at a time.

A file is UTF-8 (with or without a BOM) or GB18030, the superset of the GBK
that Excel and WPS write on Chinese Windows. The charset its sender declared
(``Declared``) is honoured; otherwise the first block tells: UTF-8 if it is
UTF-8, else whatever charset-normalizer finds it to be of those two.

Rows are numbered from 1 by their place in the file: for CSV the header is row
0 and row ``n`` is the ``n``-th record after it; for JSON Lines row ``n`` is
line ``n``. Blank lines keep their number but are not rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import charset_normalizer

from domain.text import N_

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
UTF8, GB18030 = "utf-8", "gb18030"
# The charsets a sender may declare, by the codec that reads them. GBK and
# GB2312 files are read as GB18030, which contains them both. In all of these
# a newline byte is never part of another character, so a file is split into
# lines as bytes and each line decoded by itself: a bad byte spoils one row.
CHARSETS = {
    "utf-8": UTF8,
    "utf8": UTF8,
    "us-ascii": UTF8,
    "gb18030": GB18030,
    "gbk": GB18030,
    "gb2312": GB18030,
    "cp936": GB18030,
}
_NAMES = {UTF8: "UTF-8", GB18030: "GB18030"}


class UnknownCharsetError(ValueError):
    """Raised when a sender declares a charset files are not read in."""


def codec_of(charset: str) -> str:
    """The codec that reads a file of a declared ``charset``."""
    codec = CHARSETS.get(charset.strip().lower())
    if codec is None:
        known = ", ".join(CHARSETS)
        raise UnknownCharsetError(f"Files are not read as {charset!r}; known: {known}.")
    return codec


class Declared(io.BufferedIOBase):
    """A byte stream with the charset its sender declared for it (``text/csv;
    charset=gbk``, ``appraisal import --encoding gbk``)."""

    def __init__(self, stream: IO[bytes], charset: str) -> None:
        super().__init__()
        self._stream = stream
        self.codec = codec_of(charset)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._stream.read(-1 if size is None else size)

    read1 = read


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
            (name, N_("the same column as {column}").format(column=self.of(name)))
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

    def __init__(
        self, stream: IO[bytes], block: int = BLOCK_BYTES, head: bytes = b""
    ) -> None:
        self._stream = stream
        self._block = block
        self._head = head  # the first block, if it was read already
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
        block, self._head = self._head or self._stream.read(self._block), b""
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


def _decodes(head: bytes, codec: str) -> bool:
    """Whether a file's first block is text in ``codec`` (its last character
    may be cut off by the end of the block)."""
    try:
        codecs.getincrementaldecoder(codec)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _detected(head: bytes) -> str | None:
    """The codec a file's first block is text in, if it is text in either."""
    if _decodes(head, UTF8):
        return UTF8
    # A line that is text in neither (a corrupt row) says nothing of the rest.
    text = b"".join(
        line
        for line in head.splitlines(keepends=True)
        if _decodes(line, UTF8) or _decodes(line, GB18030)
    )
    best = charset_normalizer.from_bytes(text, cp_isolation=["utf_8", "gb18030"])
    found = best.best()
    return GB18030 if found is not None and found.encoding == "gb18030" else None


@dataclass(frozen=True)
class _Text:
    """How a file's lines are read as text. ``refusal`` says why no row of it
    is read: its first block is plainly in another charset than the one
    declared (read as declared, its names and notes would be stored garbled)."""

    codec: str
    refusal: str | None = None

    @classmethod
    def of(cls, head: bytes, declared: str | None) -> _Text:
        found = _detected(head)
        if declared is None:
            return cls(found or UTF8)
        if found is None or found == declared or head.isascii():
            return cls(declared)
        name, other = _NAMES[declared], _NAMES[found]
        why = N_(
            "the file is declared {name} but is {other} text: declare {other}, "
            "or no charset to have it detected"
        )
        return cls(declared, why.format(name=name, other=other))

    def decoded(self, line: bytes | None, first: bool) -> str:
        if line is None:
            raise _BadLine(
                N_("a line is longer than {most} bytes").format(most=MAX_LINE_BYTES)
            )
        try:  # a refused file is only counted: its rows are read for their ends
            text = line.decode(self.codec, "replace" if self.refusal else "strict")
        except UnicodeDecodeError:
            raise _BadLine(
                N_("not {name} text").format(name=_NAMES[self.codec])
            ) from None
        return text.removeprefix("\ufeff") if first else text


def _opened(stream: IO[bytes]) -> tuple[_Text, Lines]:
    """A stream's charset, from its sender or its first block, and its lines."""
    declared = stream.codec if isinstance(stream, Declared) else None
    head = stream.read(BLOCK_BYTES)
    return _Text.of(head, declared), Lines(stream, head=head)


class _TextLines:
    """Lines as text for ``csv.reader``. A line that cannot be read raises
    ``_BadLine``; the iterator carries on with the next line after that."""

    def __init__(self, text: _Text, lines: Lines) -> None:
        self._text = text
        self._lines = lines
        self._first = True

    def __iter__(self) -> _TextLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        first, self._first = self._first, False
        return self._text.decoded(line, first)


def read_rows(stream: IO[bytes], form: str, columns: Columns) -> Iterator[Parsed]:
    """The rows of a CSV or JSON Lines stream, one at a time, by the names the
    file gives their columns. The stream may be ``Declared`` in a charset."""
    if form == "csv":
        return _csv_rows(stream, columns)
    if form == "jsonl":
        return _jsonl_rows(stream)
    raise ValueError(f"unknown format {form!r}")


def _refused(text: _Text) -> Iterator[Parsed]:
    """The problem of a file no row of which is read, as a header problem."""
    if text.refusal is not None:
        yield Parsed(0, None, (("body", text.refusal),), data=False)


def _records(text: _Text, lines: Lines) -> Iterator[list[str] | Exception]:
    """The CSV records of a stream, or the error that stopped one being read."""
    reader = csv.reader(_TextLines(text, lines), strict=True)
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except (csv.Error, _BadLine) as error:
            yield error


def _csv_rows(stream: IO[bytes], columns: Columns) -> Iterator[Parsed]:
    text, lines = _opened(stream)
    yield from _refused(text)
    header: list[str] | None = None
    usable = text.refusal is None
    number = 0
    for record in _records(text, lines):
        if isinstance(record, Exception):
            if header is None:
                if usable:
                    why = (("body", N_("bad header row: {why}").format(why=record)),)
                    yield Parsed(0, None, why, False)
                header, usable = [], False
            else:
                number += 1
                bad = N_("not valid CSV: {why}").format(why=record)
                yield Parsed(number, None, (("body", bad),))
            continue
        blank = not any(cell.strip() for cell in record)
        if header is None:
            if not blank:
                header = [cell.strip() for cell in record]
                problems = _header_problems(header, columns) if usable else ()
                usable = usable and not problems
                if problems:
                    yield Parsed(0, None, problems, data=False)
            continue
        number += 1
        if not blank:
            yield _csv_row(number, header, record) if usable else Parsed(number, None)


def _csv_row(number: int, header: list[str], record: list[str]) -> Parsed:
    if len(record) != len(header):
        why = N_("{count} values, but the header names {columns} columns").format(
            count=len(record), columns=len(header)
        )
        return Parsed(number, None, (("body", why),))
    values = {n: c.strip() for n, c in zip(header, record, strict=True)}
    return Parsed(number, {n: c for n, c in values.items() if c})


def _header_problems(header: list[str], columns: Columns) -> Problems:
    known = ", ".join(columns.names)
    problems = [
        (f"column {i}", N_("a column has no name"))
        for i, name in enumerate(header, start=1)
        if not name
    ]
    seen: dict[str, str] = {}
    for name in filter(None, header):
        column = columns.of(name)
        if column in seen:
            earlier = seen[column]
            why = N_("this column is named twice")
            if earlier != name:
                why = N_("this column is the same as {earlier}").format(earlier=earlier)
            problems.append((name, why))
        elif column not in columns.names:
            unknown = N_("unknown column; known: {known}").format(known=known)
            problems.append((name, unknown))
        seen.setdefault(column, name)
    missing = N_("missing column")
    problems += [(n, missing) for n in columns.required if n not in seen]
    return tuple(problems)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _jsonl_rows(stream: IO[bytes]) -> Iterator[Parsed]:
    text, lines = _opened(stream)
    yield from _refused(text)
    for number, line in enumerate(lines, start=1):
        try:
            decoded = text.decoded(line, number == 1)
        except _BadLine as error:
            yield Parsed(number, None, (("body", str(error)),))
            continue
        if decoded.strip():
            refused = text.refusal is not None
            yield Parsed(number, None) if refused else _jsonl_row(number, decoded)


def _jsonl_row(number: int, text: str) -> Parsed:
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        return Parsed(
            number, None, (("body", N_("not valid JSON: {why}").format(why=error)),)
        )
    if not isinstance(value, dict):
        return Parsed(number, None, (("body", N_("not a JSON object")),))
    return Parsed(number, {k: v for k, v in value.items() if v is not None})
