"""Events encoded by orjson are the library's own documents: the library's
decoder reads back the same values, and a value orjson would spell otherwise
is left to the library's encoder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from domain.app_base import DateAsISO
from projections.transcoding import FastJSONTranscoder


class Colour(StrEnum):
    RED = "red"


def _registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    Application.register_transcodings(Application, transcoder)  # type: ignore[arg-type]
    transcoder.register(DateAsISO())
    return transcoder


FAST = _registered(FastJSONTranscoder())
LIBRARY = _registered(JSONTranscoder())

SAME_BYTES = [
    {"timestamp": datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC), "n": 3},
    {"occurred_on": date(2026, 2, 28), "note": '迟到 "quoted" \\ \n\t\x01'},
    {"points": Decimal("-2.50"), "values": {"rate": Decimal("0.125"), "x": [1, None]}},
    {"nested": [{"on": date(2026, 1, 1)}, (True, False)], "empty": {}, "list": []},
    {"big": 2**62, "neg": -(2**62), "flag": None},
]
LEFT_TO_THE_LIBRARY = [
    {"id": uuid4(), "ids": [uuid4()]},
    {"colour": Colour.RED},
    {"huge": 2**70},
    {1: "integer key"},
    {"nan": float("nan")},
]


@pytest.mark.parametrize("state", SAME_BYTES)
def test_an_event_of_plain_and_registered_values_is_written_byte_for_byte(state):
    assert FAST.encode(state) == LIBRARY.encode(state)
    assert LIBRARY.decode(FAST.encode(state)) == LIBRARY.decode(LIBRARY.encode(state))


@pytest.mark.parametrize("state", LEFT_TO_THE_LIBRARY)
def test_a_value_orjson_spells_otherwise_is_written_by_the_library(state):
    assert FAST.encode(state) == LIBRARY.encode(state)


def test_a_uuid_reads_back_as_a_uuid():
    state = {"id": UUID(int=7)}
    assert LIBRARY.decode(FAST.encode(state)) == state


def test_a_finite_float_reads_back_equal():
    state = {"rate": 0.1, "large": 1e16}
    assert LIBRARY.decode(FAST.encode(state)) == state


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 5),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 5, 1, 3, 4, 5, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(seconds=37))),
        date(5, 1, 1),
    ],
)
def test_a_moment_is_written_as_the_library_writes_it(moment):
    assert FAST.encode({"at": moment}) == LIBRARY.encode({"at": moment})


@pytest.mark.parametrize("state", [*SAME_BYTES, *LEFT_TO_THE_LIBRARY[:3]])
def test_a_document_is_read_back_as_the_library_reads_it(state):
    document = LIBRARY.encode(state)
    assert FAST.decode(document) == LIBRARY.decode(document)


@pytest.mark.parametrize(
    "document",
    [b'{"nan": NaN}', b'{"huge": 123456789012345678901234567890}', b'["\\ud800"]',
     b'{"_type_": "decimal_str", "_data_": "1.5", "extra": 1}',
     b'{"a": {"_type_": "date_iso", "_data_": "2026-01-02"}, "b": [[{}]]}'],
)  # fmt: skip
def test_a_document_orjson_refuses_or_reads_otherwise_is_read_as_the_library_does(
    document,
):
    assert FAST.decode(document) == LIBRARY.decode(document)
