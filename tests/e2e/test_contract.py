"""The OpenAPI document is the exact contract of the API, proven by an
independent client: schemathesis' own ``st run``, against ``appraisal serve``
on the demo department, as an admin, a supervisor and an agent, on SQLite and
on PostgreSQL.

Every check runs (``--checks all``), on schema-valid and schema-violating data
(``--mode all``): responses must match the documented statuses, media types,
headers and bodies; data the document allows must be accepted, or refused by
the domain alone (``tests/schemathesis_hooks.py``: a 422 ``invalid_fact``,
``unknown_reference`` or ``rule_violated``, never ``validation_failed``);
data it forbids must be refused. Every operation must be tested: an operation
schemathesis cannot generate requests for (a schema error) fails the test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.commands import (
    Background,
    clean_env,
    http_get,
    serving_demo,
)

ST = Path(sys.executable).with_name("st")
TESTS = Path(__file__).resolve().parents[1]
HOOKS = TESTS / "schemathesis_hooks.py"
CONFIG = TESTS / "schemathesis.toml"
# Who fuzzes: their demo token (data/demo-tokens.json) by role.
ROLES = {
    "admin": "admin:admin",
    "supervisor": "supervisor:sup-zhang",  # team presales
    "agent": "agent:CS-101",
}
SEED = 20261201
EXAMPLES = 5  # per operation and phase: six runs in a few minutes together
SERVICE = {
    # schemathesis sends bad tokens on purpose; the limiter would answer 429.
    "APPRAISAL_AUTH_FAILURES_PER_MINUTE": "10000",
    # Reads sent a Min-Position far ahead give up quickly (503).
    "APPRAISAL_READ_TIMEOUT": "0.02",
    # The same business date every run, so that the seed replays the same run.
    "APPRAISAL_TODAY": "2026-11-20",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service_env(request: pytest.FixtureRequest, data_dir: Path) -> dict[str, str]:
    """The environment of ``appraisal`` on each backend. On PostgreSQL the web
    process folds events into the read models itself, as on SQLite: a read
    after a command sees it, which schemathesis' stateful checks expect of a
    resource just created (a client of the projector would send Min-Position)."""
    settings = {**SERVICE, "APPRAISAL_DATA_DIR": str(data_dir)}
    if request.param == "postgres":
        settings |= {
            "DATABASE_URL": request.getfixturevalue("postgres_database"),
            "APPRAISAL_POSTGRES_SCHEMA": request.getfixturevalue("postgres_schema"),
            "APPRAISAL_INLINE_PROJECTION": "true",
        }
    return clean_env(**settings)


@pytest.fixture
def demo_service(
    service_env: dict[str, str],
    data_dir: Path,
    workdir: Path,
    background: Callable[..., Background],
) -> Iterator[tuple[str, dict[str, str]]]:
    """``appraisal serve`` on the demo department: its base URL and tokens."""
    with serving_demo(service_env, data_dir, workdir, background, 30) as served:
        base, tokens, server = served
        yield base, tokens
        server.terminate()


def schemathesis(base: str, token: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``st run`` against the served document, as the holder of ``token``."""
    command = [
        str(ST), "--config-file", str(CONFIG), "--no-color", "run",
        f"{base}/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", "all", "--mode", "all",
        "--max-examples", str(EXAMPLES), "--seed", str(SEED),
        "--generation-database", "none",
    ]  # fmt: skip
    env = clean_env(SCHEMATHESIS_HOOKS=str(HOOKS))
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip


def summary(output: str) -> dict[str, int]:
    """The operation counts of the summary: selected, total, tested, errored."""
    selected = re.search(r"^\s*Selected: (\d+)/(\d+)\s*$", output, re.MULTILINE)
    tested = re.search(r"^\s*Tested: (\d+)\s*$", output, re.MULTILINE)
    errored = re.search(r"^\s*Errored: (\d+)\s*$", output, re.MULTILINE)
    assert selected and tested, f"no summary in schemathesis' output:\n{output[-3000:]}"
    return {
        "selected": int(selected.group(1)),
        "total": int(selected.group(2)),
        "tested": int(tested.group(1)),
        "errored": int(errored.group(1)) if errored else 0,
    }


def what_went_wrong(output: str, limit: int = 20_000) -> str:
    """The failures and errors schemathesis reports, and its summary."""
    found = [
        match.group(0)
        for match in re.finditer(
            r"^=+ (?:FAILURES|ERRORS|SUMMARY) =+$.*?(?=^=+ [A-Z]+ =+$|\Z)",
            output,
            re.MULTILINE | re.DOTALL,
        )
    ]
    text = "\n".join(found) or output
    return text if len(text) <= limit else f"...\n{text[-limit:]}"


@pytest.mark.parametrize("role", list(ROLES))
def test_the_served_openapi_document_is_the_contract_schemathesis_proves(
    demo_service: tuple[str, dict[str, str]], role: str, workdir: Path
) -> None:
    base, tokens = demo_service
    operations = sum(
        method != "parameters"
        for path in http_get(f"{base}/openapi.json").json()["paths"].values()
        for method in path
    )

    result = schemathesis(base, tokens[ROLES[role]], workdir)

    output = result.stdout + result.stderr
    counts = summary(output)
    print(output[output.rfind("SUMMARY") :])  # shown with -rP
    assert result.returncode == 0, (
        f"schemathesis as {role} exited {result.returncode}:\n{what_went_wrong(output)}"
    )
    assert counts == {
        "selected": operations,
        "total": operations,
        "tested": operations,
        "errored": 0,
    }, f"not every operation was tested as {role}:\n{what_went_wrong(output)}"
