"""What text the store can keep: one rule for every edge (HTTP, imports, CLI).

PostgreSQL ``text`` and ``jsonb`` cannot hold NUL (U+0000), and no UTF-8
encoder can write an unpaired surrogate (U+D800-U+DFFF). SQLite stores both, so
such text would be accepted on one backend and stop the read side on the
other. Every edge refuses it, naming the field, before anything is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
PROBLEM = "Text must not contain NUL (U+0000) or unpaired surrogates (U+D800-U+DFFF)."


def storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None


def printable(text: str) -> str:
    """``text`` with every unstorable character written as an escape, so that
    it can be shown (in an error message, a log line) without failing."""
    return UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def unstorable_fields(value: Any, path: str = "") -> dict[str, list[str]]:
    """Every place in ``value`` (nested dicts and lists of JSON-like data) whose
    text, key or value, cannot be stored, as ``{"a.b.0": [message]}``."""
    found: dict[str, list[str]] = {}
    if isinstance(value, str):
        if not storable(value):
            found[path or "body"] = [PROBLEM]
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            name = printable(str(key))
            where = f"{path}.{name}" if path else name
            if isinstance(key, str) and not storable(key):
                found[where] = [PROBLEM]
            found.update(unstorable_fields(inner, where))
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            found.update(
                unstorable_fields(inner, f"{path}.{index}" if path else str(index))
            )
    return found
