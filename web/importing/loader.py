"""A row schema's load, remembering each cell it has read.

A file repeats most of its cells (the step of an order, its date, its agent,
an empty note): marshmallow reads every cell of every row again, a third of
an order import's time. ``RowLoader`` loads a row as its schema does, field
by field in the schema's order, and remembers what each column's text became;
a row whose cells it cannot all read so (a cell the field refuses, an unknown
column, a value that is not text) is loaded by the schema itself, which
reports every problem as before.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError
from marshmallow.utils import missing

REMEMBERED = 1024  # texts a column remembers (an order's number is new each row)


class RowLoader:
    """``schema.load`` for one import, remembering each column's cells.

    One import only: a cell may read differently in another (a date is
    checked against the months the service accepts)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        # (the column a field reads, the key it loads into, the field)
        self._fields = [
            (field.data_key or name, field.attribute or name, field)
            for name, field in schema.load_fields.items()
        ]
        self._columns = frozenset(column for column, _, _ in self._fields)
        self._read: dict[str, dict[str, Any]] = {c: {} for c in self._columns}
        hooks = getattr(schema, "_hooks", None)
        self._plain = (
            hooks is not None
            and not any(hooks.values())
            and not any("." in key for _, key, _ in self._fields)
        )

    def load(self, values: dict[str, Any]) -> dict[str, Any]:
        """What ``schema.load(values)`` answers; its ``ValidationError`` too."""
        if not self._plain or not self._columns.issuperset(values):
            return self.schema.load(values)
        loaded: dict[str, Any] = {}
        try:
            for column, key, field in self._fields:
                text = values.get(column, missing)
                if type(text) is not str:
                    value = field.deserialize(text, column, values)
                else:
                    read = self._read[column]
                    value = read.get(text, missing)
                    if value is missing:
                        value = field.deserialize(text, column, values)
                        if len(read) < REMEMBERED:
                            read[text] = value
                if value is not missing:
                    loaded[key] = value
        except ValidationError:
            return self.schema.load(values)
        return loaded
