"""One rule for text the store cannot keep: NUL and unpaired surrogates."""

from __future__ import annotations

import pytest

from domain.text import PROBLEM, printable, storable, unstorable_fields


@pytest.mark.parametrize(
    "text", ["", "plain", "人事考核 -3", "emoji \U0001f600", "\t\n"]
)
def test_ordinary_text_including_chinese_and_emoji_can_be_stored(text):
    assert storable(text)
    text.encode("utf-8")  # and PostgreSQL takes whatever UTF-8 can encode


@pytest.mark.parametrize("text", ["a\u0000b", "\ud800", "x\udfff", "\udc80y"])
def test_nul_and_unpaired_surrogates_cannot(text):
    assert not storable(text)


def test_every_bad_place_in_a_document_is_named_by_its_path():
    document = {
        "reason": "ok",
        "note": "n\u0000",
        "dimensions": {"service": "\ud800", "fine": 3},
        "lines": ["a", {"text": "b\u0000"}],
        "bad\u0000key": 1,
    }
    assert unstorable_fields(document) == {
        "note": [PROBLEM],
        "dimensions.service": [PROBLEM],
        "lines.1.text": [PROBLEM],
        "bad\\u0000key": [PROBLEM],
    }


def test_a_bare_bad_string_is_the_body():
    assert unstorable_fields("\u0000") == {"body": [PROBLEM]}
    assert unstorable_fields(["ok", 1, None, True]) == {}


def test_printable_escapes_what_cannot_be_shown():
    assert printable("a\u0000\ud800b") == "a\\u0000\\ud800b"
    printable("\ud800").encode("utf-8")
