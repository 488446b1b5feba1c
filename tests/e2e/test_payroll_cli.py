"""``appraisal payroll``: a published month's payroll written as a file Excel
opens with the names intact."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent
from domain.month import Month
from projections.runtime import Runtime, StoreConfig
from tests.e2e.commands import run_ok

MONTH = "2026-10"
NAMES = {"a1": "张伟", "a2": "李娜"}


@pytest.fixture
def published(data_dir):
    runtime = Runtime(StoreConfig(data_dir=data_dir))
    admin = Principal("admin", Role.ADMIN)
    try:
        agents = [NewAgent(a, name, "t1", "sup-t1") for a, name in NAMES.items()]
        runtime.app.register_agents(admin, agents)
        runtime.app.close_period(admin, Month.parse(MONTH))
        runtime.app.publish_period(admin, Month.parse(MONTH))
    finally:
        runtime.close()


def test_the_payroll_is_written_as_csv_with_a_bom_or_as_a_workbook(
    tmp_path, sqlite_env, workdir, published
):
    to_csv, to_xlsx = tmp_path / "工资.csv", tmp_path / "工资.xlsx"

    run_ok("payroll", MONTH, "-o", str(to_csv), env=sqlite_env, cwd=workdir)
    run_ok("payroll", MONTH, "-o", str(to_xlsx), env=sqlite_env, cwd=workdir)

    written = to_csv.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(written.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["张伟", "李娜", ""]  # and the TOTAL row
    sheet = openpyxl.load_workbook(to_xlsx).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == list(rows[0])
    assert [row[1] for row in values[1:]] == ["张伟", "李娜", None]
    assert all(isinstance(row[5], int | float) for row in values[1:])  # commission
