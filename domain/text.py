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


def N_(template: str) -> str:
    """Mark ``template`` as a message to translate (``babel.cfg`` extracts it);
    the domain keeps English, the web layer answers in the request's language."""
    return template


class Message(str):
    """A message in English that keeps its template and values, for a message
    that is a value of another (``"{path}: {problem}"``): the web layer says
    both in the request's language."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        text = template.format(**params) if params else template
        message = super().__new__(cls, text)
        message.template, message.params = template, params
        return message


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
PROBLEM = N_(
    "Text must not contain NUL (U+0000) or unpaired surrogates (U+D800-U+DFFF)."
)


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


# "Late arrival (迟到早退)": an English name, its Chinese one in brackets
# (ASCII or full-width).
_BILINGUAL = re.compile(
    r"\s*[(\uff08](?P<zh>[^()\uff08\uff09]*[\u3400-\u9fff][^()\uff08\uff09]*)[)\uff09]"
)


def bilingual(name: str) -> tuple[str, str]:
    """A rulebook name as ``(english, chinese)``: ``"Late arrival (迟到早退)"``
    gives both (what follows the brackets stays with each); a name in one
    language only is used for both."""
    found = _BILINGUAL.search(name)
    english = (name[: found.start()] + name[found.end() :]).strip() if found else ""
    if found is None or not english:
        return name, name
    return english, (found.group("zh") + name[found.end() :]).strip()
