"""A schema's dump worked out once: the same document marshmallow writes, in
a fraction of the time, for the large answers read most (a scorecard holds
some 700 values; marshmallow found each through several calls).

``FastDump`` walks a schema's fields once and keeps, for each, where its value
is (the attribute path, read as marshmallow reads it: a key of a mapping, else
an attribute) and how it is written (the field's own ``_serialize``, so every
format is the field's); nested schemas and lists of them are walked the same
way. A schema with a hook (``pre_dump``, ``post_dump``) or its own
``get_attribute``, or a field with its own ``serialize``, is dumped by
marshmallow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.utils import missing

__all__ = ["FastDump", "compiled"]

Write = Callable[[Any, Any], Any]


class Unsupported(Exception):
    """The schema needs marshmallow itself."""


def _value(obj: Any, path: tuple[str, ...]) -> Any:
    """``marshmallow.utils.get_value`` of ``path``: missing if absent."""
    for key in path:
        if not hasattr(obj, "__getitem__"):
            obj = getattr(obj, key, missing)
        else:
            try:
                obj = obj[key]
            except (KeyError, IndexError, TypeError, AttributeError):
                obj = getattr(obj, key, missing)
    return obj


def _text(value: Any, obj: Any) -> Any:
    """``fields.String``: ``utils.ensure_text_type``."""
    if value is None or type(value) is str:
        return value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _integer(value: Any, obj: Any) -> Any:
    """``fields.Integer`` (not as a string)."""
    return None if value is None else int(value)


def _iso(value: Any, obj: Any) -> Any:
    """``fields.Date`` and ``fields.DateTime`` in their default format."""
    return None if value is None else value.isoformat()


class FastDump:
    """``schema.dump(obj)`` for one object, without marshmallow's walk."""

    def __init__(self, schema: Schema) -> None:
        plain = type(schema).get_attribute is Schema.get_attribute
        if schema.many or not plain or any(schema._hooks.values()):
            raise Unsupported(type(schema).__name__)
        self.steps: list[tuple[str, tuple[str, ...] | None, Write, Any]] = []
        for name, field in schema.dump_fields.items():
            key = field.data_key if field.data_key is not None else name
            check = field._CHECK_ATTRIBUTE
            path = tuple((field.attribute or name).split(".")) if check else None
            self.steps.append((key, path, _writer(field, name), field.dump_default))

    def __call__(self, obj: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, path, write, default in self.steps:
            if path is None:
                value = None
            else:
                value = _value(obj, path)
                if value is missing:
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
            found[key] = write(value, obj)
        return found


def _writer(field: fields.Field, name: str) -> Write:
    """How ``field`` (named ``name``) writes a value found in ``obj``: as
    ``Field.serialize`` does once it has the value, by the field's own
    ``_serialize``; nested schemas and lists are walked here."""
    if type(field).serialize is not fields.Field.serialize:
        raise Unsupported(f"{name}: {type(field).__name__}")
    if isinstance(field, fields.Nested):
        if field.many:
            raise Unsupported(name)
        dump = FastDump(field.schema)
        return lambda value, obj: None if value is None else dump(value)
    if isinstance(field, fields.List):
        inner = _writer(field.inner, name)
        return lambda value, obj: (
            None if value is None else [inner(each, obj) for each in value]
        )
    kind = type(field)
    if kind is fields.String:
        return _text
    if kind is fields.Integer and not field.as_string:
        return _integer
    if kind in (fields.Date, fields.DateTime) and field.format in (None, "iso"):
        return _iso
    serialize = field._serialize
    return lambda value, obj: serialize(value, name, obj)


def compiled(schema: Schema) -> Callable[[Any], Any] | None:
    """The fast dump of ``schema``, kept on it; None if it has none."""
    found = schema.__dict__.get("_fast_dump", missing)
    if found is missing:
        try:
            found = FastDump(schema)
        except Unsupported:
            found = None
        schema.__dict__["_fast_dump"] = found
    return found
