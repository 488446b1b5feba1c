"""Frozen dataclasses built without their generated ``__init__``.

A frozen dataclass's ``__init__`` sets each field through
``object.__setattr__``: about 0.3 µs a field, 3.8 µs for a deduction's event,
about 1.4 µs for each of the library's ``Notification`` and ``Recording``
and for a command's ``Recorded``, which a batch builds for every event it
saves (``app_base.creation``, ``lean_store``, ``Recorded.of``). ``built`` gives
the same object (its fields in its ``__dict__``, as the library's mapper
builds an event it reads, then its ``__post_init__`` called, as ``__init__``
calls it) for about half of that. A class whose fields are not all set by
``__init__`` (a default factory, a field outside it, an ``InitVar``) or that has no
``__dict__`` is built by its ``__init__``, and so is any call that names a
field the class does not have or leaves out one without a default: it fails
as the ``__init__`` would.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class _Shape:
    names: frozenset[str]
    defaults: dict[str, Any]
    plain: bool
    """Setting its fields (and its ``__post_init__``) is all ``__init__`` does."""
    post_init: bool


_SHAPES: dict[type, _Shape] = {}
_MISSING = dataclasses.MISSING


def _shape_of(cls: type) -> _Shape:
    fields = dataclasses.fields(cls)
    taken = set(inspect.signature(cls.__init__).parameters) - {"self"}
    plain = (
        cls.__dictoffset__ != 0  # its instances have a __dict__
        and all(f.default_factory is _MISSING for f in fields)
        and taken == {f.name for f in fields}  # each field, and no InitVar
    )
    return _Shape(
        names=frozenset(f.name for f in fields),
        defaults={f.name: f.default for f in fields if f.default is not _MISSING},
        plain=plain,
        post_init=hasattr(cls, "__post_init__"),
    )


def built(cls: type[T], values: dict[str, Any]) -> T:
    """``cls(**values)`` for a frozen dataclass, without its ``__init__``;
    ``values``, a dict the caller made for it, becomes the object's
    ``__dict__`` (no keywords packed again on the way)."""
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _shape_of(cls)
    if shape.plain and values.keys() <= shape.names:
        if len(values) < len(shape.names):
            values = shape.defaults | values
        if len(values) == len(shape.names):
            obj = object.__new__(cls)
            object.__setattr__(obj, "__dict__", values)
            if shape.post_init:
                obj.__post_init__()  # type: ignore[attr-defined]
            return obj
    return cls(**values)
