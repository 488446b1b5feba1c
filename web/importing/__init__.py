"""Bulk imports from the performance software and the order system: one entry
point, ``import_rows``, that ``POST /imports/{kind}`` and ``appraisal import``
both call.

A file is CSV (a header row naming the columns) or JSON Lines (one object a
line), in UTF-8 or GB18030. It is read as a stream, a block at a time
(``reading``), each row loaded by its kind's schema (``rows``, with the cell
types of ``cells``), and recorded in chunks of one transaction each
(``importer``), so memory stays flat however long the file is. ``columns``
describes each kind's columns.
"""

from __future__ import annotations

from web.importing.columns import describe_columns
from web.importing.importer import (
    CHUNK_ROWS,
    MAX_ERRORS,
    ImportSummary,
    RowError,
    import_rows,
)
from web.importing.reading import (
    CHARSETS,
    EXTENSIONS,
    FORMATS,
    MEDIA_TYPES,
    Declared,
    UnknownCharsetError,
)
from web.importing.rows import IMPORT_KINDS, ORDERS

__all__ = [
    "CHARSETS",
    "CHUNK_ROWS",
    "EXTENSIONS",
    "FORMATS",
    "IMPORT_KINDS",
    "MAX_ERRORS",
    "MEDIA_TYPES",
    "ORDERS",
    "Declared",
    "ImportSummary",
    "RowError",
    "UnknownCharsetError",
    "describe_columns",
    "import_rows",
]
