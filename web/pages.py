"""Lists in pages, the one way every list of the API pages.

A list is read newest first, ``limit`` items a page (default 50, at most 500).
The answer's ``next`` is the URL of the following page, or null on the last
one: the same query with ``after``, an opaque cursor naming the last item
shown. Cursors are keysets (a log position, a generation), not offsets, so
items recorded between two pages neither repeat nor hide one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import request, url_for
from marshmallow import Schema, fields, validate

from domain.errors import NotFoundError
from domain.text import N_
from web.inputs import Matching

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
_LARGEST = 2**62


def cursor(key: int) -> str:
    """The opaque cursor of the item whose key is ``key``."""
    return base64.urlsafe_b64encode(str(key).encode()).decode().rstrip("=")


class Cursor(fields.String):
    """``after``: a cursor taken from a ``next`` link; it loads as its key."""

    SHAPE = Matching(r"^[A-Za-z0-9_-]{1,24}$")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            metadata={"description": "The cursor of the last item seen, from `next`"},
            **kwargs,
        )

    def openapi(self, months: Any) -> dict[str, Any]:
        return {"pattern": self.SHAPE.regex.pattern}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        text = self.SHAPE(super()._deserialize(value, attr, data, **kwargs))
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        key = int(decoded) if decoded.isascii() and decoded.isdigit() else -1
        if not 0 <= key <= _LARGEST or cursor(key) != text:
            # Well-formed, but no list gave it: it names nothing, like an
            # unknown agent (422 unknown_reference), not a malformed field.
            raise NotFoundError(
                N_("Not a cursor of this list: use a `next` link."), field="after"
            )
        return key


class PageQuery(Schema):
    """``limit`` and ``after``: the arguments every list takes."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items a page (default {DEFAULT_LIMIT})"},
    )
    after = Cursor()


class PageOut(Schema):
    next = fields.String(
        allow_none=True,
        metadata={"description": "The URL of the next page; null on the last"},
    )


def page(
    found: Sequence[T], limit: int, key: Callable[[T], int]
) -> tuple[list[T], str | None]:
    """The items of this page and the URL of the next, from ``found``, the
    first ``limit + 1`` items after the cursor (one more than shown: there is
    a next page only if it came)."""
    shown = list(found[:limit])
    if len(found) <= limit:
        return shown, None
    args = request.args.to_dict() | {"after": cursor(key(shown[-1]))}
    endpoint = request.endpoint or ""
    return shown, url_for(endpoint, **(request.view_args or {}), **args)
