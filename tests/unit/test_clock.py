"""The company's today: its date in Asia/Shanghai, kept between calls only
while the clock stays inside that day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from domain import clock


class _Clock:
    """The moment ``time.time`` and ``datetime.now`` answer, set by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment
        self.asked = 0

    def time(self) -> float:
        return self.moment.timestamp()

    def now(self, zone: object) -> datetime:
        self.asked += 1
        return self.moment.astimezone(zone)  # type: ignore[arg-type]


@pytest.fixture
def pinned(monkeypatch):
    fake = _Clock(datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC))  # 23:59:59 there

    class Moments(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return fake.now(tz)

    monkeypatch.setattr(clock, "datetime", Moments)
    monkeypatch.setattr(clock, "time", SimpleNamespace(time=fake.time))
    return fake


def test_today_turns_at_midnight_in_shanghai_not_in_utc(pinned):
    today = clock.company_today()
    assert today() == date(2026, 11, 30)
    pinned.moment = datetime(2026, 11, 30, 16, 0, 0, tzinfo=UTC)  # 00:00 there
    assert today() == date(2026, 12, 1)
    pinned.moment = datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)
    assert today() == date(2026, 12, 1)


def test_a_day_is_read_from_the_zone_once_while_the_clock_stays_inside_it(pinned):
    today = clock.company_today()
    for _ in range(5):
        assert today() == date(2026, 11, 30)
    assert pinned.asked == 1


def test_a_clock_set_back_across_midnight_gives_the_earlier_day(pinned):
    today = clock.company_today()
    pinned.moment = datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC)
    assert today() == date(2026, 12, 1)
    pinned.moment = datetime(2026, 11, 30, 15, 0, 0, tzinfo=UTC)
    assert today() == date(2026, 11, 30)
