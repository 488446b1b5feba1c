"""docker-compose.yml, the README and the code agree on services and settings."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from psycopg.conninfo import conninfo_to_dict

from web.config import ENVIRONMENT, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]


def _expand(value: str) -> str:
    """${NAME:-default} and ${NAME:?message} as compose would, with a sample secret."""
    return re.sub(
        r"\$\{(\w+)(?::[-?]([^}]*))?\}",
        lambda m: "sample" if m.group(1) == "POSTGRES_PASSWORD" else (m.group(2) or ""),
        value,
    )


def test_compose_runs_postgres_15_the_api_under_gunicorn_and_the_projector():
    assert set(SERVICES) == {"postgres", "migrate", "api", "projector"}
    assert "appraisal migrate" in SERVICES["migrate"]["command"]
    for name in ("api", "projector"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["postgres"]["image"].startswith("postgres:15")
    assert "gunicorn" in SERVICES["api"]["command"]
    assert "'web:create_app()'" in SERVICES["api"]["command"]
    assert "appraisal project" in SERVICES["projector"]["command"]


def test_the_api_is_healthy_only_when_health_answers_200():
    check = " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert "/health" in check and "8000" in check


def test_the_app_services_set_only_settings_the_code_reads():
    for name in ("migrate", "api", "projector"):
        assert set(SERVICES[name]["environment"]) <= set(ENVIRONMENT), name


def test_the_app_settings_in_compose_are_valid_settings():
    environment = {k: _expand(v) for k, v in SERVICES["api"]["environment"].items()}
    settings = Settings.from_env(environment)
    assert settings.store.is_postgres
    assert settings.read_timeout == 5.0


def test_the_database_url_points_at_the_postgres_service_and_its_database():
    url = conninfo_to_dict(_expand(SERVICES["api"]["environment"]["DATABASE_URL"]))
    postgres = SERVICES["postgres"]["environment"]
    assert (url["host"], url["user"], url["dbname"]) == (
        "postgres",
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_DB"],
    )


def test_no_password_is_written_in_compose_only_required_from_the_environment():
    postgres = SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"]
    url = SERVICES["api"]["environment"]["DATABASE_URL"]
    assert postgres.startswith("${POSTGRES_PASSWORD:?")
    assert (
        conninfo_to_dict(
            url.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "x")
        )["password"]
        == "x"
    )


def test_the_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in ENVIRONMENT if f"`{name}`" not in readme]
    assert missing == []


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if "pytest" in line)
    assert f"```sh\n{command}\n```" in readme


def test_the_facts_doc_lists_every_observation_kind_metric_and_workflow_case():
    from domain.metrics import METRICS
    from domain.observations import KINDS
    from domain.orders import workflow

    doc = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    names = [*KINDS, *METRICS, *workflow().submit_cases, *workflow().process_cases]
    names += [*workflow().dispute_reasons, *workflow().finish_outcomes]
    assert [name for name in names if f"`{name}`" not in doc] == []
