"""Imports stream: memory stays flat however many rows a file has."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent
from projections.runtime import Runtime, StoreConfig
from tests.clock import service_today
from web.importing import MAX_ERRORS, import_rows

ADMIN = Principal("admin", Role.ADMIN)
AGENTS = 50
HEADER = (
    b"agent_id,date,consultations,conversions,avg_response_seconds,customers_lost\n"
)


class GeneratedCsv(io.RawIOBase):
    """A CSV export of ``rows`` chat rows, made as it is read (never held whole).
    Every tenth row is valid; the others have a negative count."""

    def __init__(self, rows: int) -> None:
        self._lines = self._generate(rows)
        self._pending = b""

    @staticmethod
    def _generate(rows: int) -> Iterator[bytes]:
        today = service_today()
        yield HEADER
        for i in range(rows):
            day = today - timedelta(days=i // AGENTS)
            consultations = 40 if i % 10 == 0 else -1
            yield f"g{i % AGENTS},{day},{consultations},{i % 7},12.5,1\n".encode()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            line = next(self._lines, None)
            if line is None:
                break
            self._pending += line
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@pytest.fixture
def runtime(tmp_path) -> Iterator[Runtime]:
    opened = Runtime(StoreConfig(data_dir=tmp_path / "data"))
    opened.app.register_agents(
        ADMIN, [NewAgent(f"g{i}", f"Agent {i}", "t1", "sup-t1") for i in range(AGENTS)]
    )
    yield opened
    opened.close()


def test_importing_20000_rows_needs_no_more_memory_than_a_few_chunks(runtime):
    export = GeneratedCsv(20_000)

    tracemalloc.start()
    try:
        summary = import_rows(
            runtime.app, ADMIN, "chat", io.BufferedReader(export), "csv", source="t"
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (summary.rows, summary.recorded, summary.rejected) == (20_000, 2_000, 18_000)
    assert len(summary.errors) == MAX_ERRORS  # every rejection counted, 1000 listed
    # Holding the rows would take tens of megabytes; a few chunks take one or two.
    assert peak < 6_000_000, f"peak {peak / 1e6:.1f} MB"
