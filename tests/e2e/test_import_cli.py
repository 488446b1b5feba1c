"""``appraisal import``: a performance-software export, imported from the shell."""

from __future__ import annotations

import re

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent
from projections.runtime import Runtime, StoreConfig
from tests.clock import service_today
from tests.e2e.commands import clean_env, run, run_ok, stored_event_count

FIRST = service_today().replace(day=1)
CHAT = "agent_id,date,consultations,conversions,avg_response_seconds,customers_lost"
SUMMARY = re.compile(
    r"(\d+) \w+ rows: (\d+) recorded, (\d+) corrected, (\d+) unchanged, "
    r"(\d+) rejected"
)
SPOT_CHECKS = "agent_id,date,check,kind,passed,note"


@pytest.fixture
def agents(data_dir):
    runtime = Runtime(StoreConfig(data_dir=data_dir))
    try:
        runtime.app.register_agents(
            Principal("admin", Role.ADMIN),
            [NewAgent(a, f"Agent {a}", "t1", "sup-t1") for a in ("a1", "a2", "a3")],
        )
    finally:
        runtime.close()


def summary(stderr: str) -> tuple[int, ...]:
    found = SUMMARY.search(stderr)
    assert found, f"no summary in:\n{stderr}"
    return tuple(int(n) for n in found.groups())


def write_chat(tmp_path, *rows: str):
    path = tmp_path / "chat-statistics.csv"
    path.write_text("\n".join((CHAT, *rows)) + "\n", encoding="utf-8")
    return path


def test_importing_chat_statistics_twice_reports_everything_unchanged_the_second_time(
    tmp_path, data_dir, workdir, agents
):
    export = write_chat(
        tmp_path,
        f"a1,{FIRST},40,12,18.5,2",
        f"a2,{FIRST},25,5,30,1",
        f"a3,{FIRST},60,33,9.25,0",
    )
    args = ("--data-dir", str(data_dir), "import", "chat", str(export))

    first = run_ok(*args, env=clean_env(), cwd=workdir)
    events = stored_event_count(data_dir)
    second = run_ok(*args, env=clean_env(), cwd=workdir)

    assert summary(first.stderr) == (3, 3, 0, 0, 0)
    assert summary(second.stderr) == (3, 0, 0, 3, 0)
    assert stored_event_count(data_dir) == events
    assert not (workdir / "data").exists()


def test_a_file_with_a_bad_row_exits_1_naming_the_row_and_field(
    tmp_path, data_dir, workdir, agents
):
    export = write_chat(
        tmp_path,
        f"a1,{FIRST},40,12,18.5,2",
        f"a2,{FIRST},-5,5,30,1",
        f"a3,{FIRST},60,33,9.25,0",
    )

    result = run(
        "--data-dir", str(data_dir), "import", "chat", str(export),
        env=clean_env(), cwd=workdir,
    )  # fmt: skip

    assert result.returncode == 1, result.stderr
    assert re.search(r"^row 2: consultations: ", result.stderr, re.MULTILINE)
    assert summary(result.stderr) == (3, 2, 0, 0, 1)


def test_json_lines_are_read_from_a_jsonl_file(tmp_path, data_dir, workdir, agents):
    export = tmp_path / "chat.jsonl"
    export.write_text(
        f'{{"agent_id": "a1", "date": "{FIRST}", "consultations": 40, '
        '"conversions": 12, "avg_response_seconds": 18.5, "customers_lost": 2}\n',
        encoding="utf-8",
    )

    result = run_ok(
        "--data-dir", str(data_dir), "import", "chat", str(export),
        env=clean_env(), cwd=workdir,
    )  # fmt: skip

    assert summary(result.stderr) == (1, 1, 0, 0, 0)


def write_spot_checks(tmp_path, encoding: str, name: str = "抽检.csv"):
    """Spot checks as Excel on Chinese Windows saves a sheet as CSV: CRLF, and
    Chinese in the cells (and the file name)."""
    rows = (
        f"a1,{FIRST},抽检-7,spot_check,no,回复不及时，语气生硬",  # noqa: RUF001
        f'a2,{FIRST},抽检-8,spot_check,yes,"话术规范, 主动回访客户"',
    )
    path = tmp_path / name
    path.write_bytes(("\r\n".join((SPOT_CHECKS, *rows)) + "\r\n").encode(encoding))
    return path


def test_a_csv_excel_saved_in_gbk_imports_as_its_utf_8_twin(
    tmp_path, data_dir, workdir, agents
):
    gbk = write_spot_checks(tmp_path, "gbk")
    twin = write_spot_checks(tmp_path, "utf-8-sig", name="spot-checks.csv")
    args = ("--data-dir", str(data_dir), "import", "spot_checks")

    first = run_ok(*args, str(gbk), env=clean_env(), cwd=workdir)
    events = stored_event_count(data_dir)
    second = run_ok(*args, str(twin), env=clean_env(), cwd=workdir)

    assert summary(first.stderr) == (2, 2, 0, 0, 0)
    assert summary(second.stderr) == (2, 0, 0, 2, 0)  # the same text, read alike
    assert stored_event_count(data_dir) == events


def test_an_encoding_the_file_is_plainly_not_in_imports_nothing_and_says_so(
    tmp_path, data_dir, workdir, agents
):
    gbk = write_spot_checks(tmp_path, "gbk")
    args = ("--data-dir", str(data_dir), "import", "spot_checks", str(gbk))
    events = stored_event_count(data_dir)

    wrong = run(*args, "--encoding", "utf-8", env=clean_env(), cwd=workdir)
    unknown = run(*args, "--encoding", "latin-1", env=clean_env(), cwd=workdir)

    assert wrong.returncode == 1, wrong.stderr
    assert (
        "row 0: body: the file is declared UTF-8 but is GB18030 text: declare "
        "GB18030, or no charset to have it detected"
    ) in wrong.stderr
    assert summary(wrong.stderr) == (2, 0, 0, 0, 2)
    assert unknown.returncode == 2 and "--encoding" in unknown.stderr
    assert stored_event_count(data_dir) == events
    right = run_ok(*args, "--encoding", "GBK", env=clean_env(), cwd=workdir)
    assert summary(right.stderr) == (2, 2, 0, 0, 0)


def test_a_file_of_unknown_format_is_a_usage_error(tmp_path, data_dir, workdir):
    export = tmp_path / "chat.txt"
    export.write_text(CHAT + "\n", encoding="utf-8")

    result = run(
        "--data-dir", str(data_dir), "import", "chat", str(export),
        env=clean_env(), cwd=workdir,
    )  # fmt: skip

    assert result.returncode == 2
    assert "--format" in result.stderr
