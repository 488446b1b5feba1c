"""docker-compose.yml, the Dockerfile, the README and the code agree on
services, commands and settings."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import yaml
from packaging.specifiers import SpecifierSet
from psycopg.conninfo import conninfo_to_dict

from web.config import ENVIRONMENT, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The console script, as pyproject.toml installs it: its name and its click group.
((SCRIPT, TARGET),) = PROJECT["project"]["scripts"].items()
_module, _, _attribute = TARGET.partition(":")
CLI = getattr(importlib.import_module(_module), _attribute)
# The services that run the image the Dockerfile builds.
APP_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _instructions(path: Path) -> list[tuple[str, str]]:
    """A Dockerfile's instructions (keyword, arguments), continuations joined."""
    logical, pending = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        logical.append(pending + line)
        pending = ""
    return [
        (keyword.upper(), rest.strip())
        for keyword, _, rest in (line.strip().partition(" ") for line in logical)
    ]


DOCKERFILE = _instructions(ROOT / "Dockerfile")
_last_from = max(i for i, (keyword, _) in enumerate(DOCKERFILE) if keyword == "FROM")
FINAL_STAGE = DOCKERFILE[_last_from:]


def _exec_form(keyword: str) -> list[str]:
    """The image's ENTRYPOINT or CMD, which must be in exec (JSON) form."""
    (value,) = [rest for key, rest in FINAL_STAGE if key == keyword][-1:]
    argv = json.loads(value)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), keyword
    return argv


def _expand(value: str) -> str:
    """${NAME:-default} and ${NAME:?message} as compose would, with a sample secret."""
    return re.sub(
        r"\$\{(\w+)(?::[-?]([^}]*))?\}",
        lambda m: "sample" if m.group(1) == "POSTGRES_PASSWORD" else (m.group(2) or ""),
        value,
    )


def _run_entrypoint(args: list[str], tmp_path: Path) -> list[str]:
    """What the image's ENTRYPOINT executes for ``args``: run with a stand-in for
    the console script that reports the arguments it was given."""
    stub = tmp_path / "bin" / SCRIPT
    stub.parent.mkdir(exist_ok=True)
    stub.write_text('#!/bin/sh\nprintf "%s\\0" "${0##*/}" "$@"\n')
    stub.chmod(0o755)
    output = subprocess.run(
        [*_exec_form("ENTRYPOINT"), *args],
        env={"PATH": f"{stub.parent}:/usr/bin:/bin"},
        capture_output=True,
        check=True,
    ).stdout.decode()
    argv = output.split("\0")[:-1]
    assert argv and argv[0] == SCRIPT, f"the entrypoint did not run {SCRIPT}"
    return argv


def _cli_command(argv: list[str]) -> str:
    """The CLI command ``argv`` runs (``"token issue"``), once its options and
    arguments have parsed as the command's own."""
    assert argv[0] == SCRIPT, argv
    command, names, args = CLI, [], argv[1:]
    context = click.Context(CLI, info_name=SCRIPT)
    while isinstance(command, click.Group):
        assert args and not args[0].startswith("-"), f"no command in {argv}"
        found = command.get_command(context, args[0])
        assert found is not None, f"{args[0]!r} is not an {SCRIPT} command"
        command, names, args = found, [*names, args[0]], args[1:]
        context = click.Context(command, info_name=names[-1], parent=context)
    command.make_context(names[-1], list(args), parent=context.parent)
    return " ".join(names)


def _service_command(name: str, tmp_path: Path) -> str:
    return _cli_command(_run_entrypoint(list(SERVICES[name]["command"]), tmp_path))


def _documented_compose_commands() -> Iterator[tuple[str, str, list[str]]]:
    """Every ``docker compose run|exec [--rm] SERVICE ...`` in the README's shell
    blocks and in the comments of docker-compose.yml: (verb, service, arguments)."""
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    lines = "\n".join(re.findall(r"```sh\n(.*?)```", README, re.S)).splitlines()
    lines += [c.lstrip()[1:] for c in compose.splitlines() if c.lstrip()[:1] == "#"]
    for line in lines:
        found = re.search(r"docker compose (run|exec) (.+)", line.split(" # ")[0])
        if found:
            words = found.group(2).split()
            while words[0].startswith("-"):  # compose's own options (--rm)
                words.pop(0)
            yield found.group(1), words[0], words[1:]


def test_compose_runs_postgres_15_the_api_under_gunicorn_the_projector_and_dispatcher(
    tmp_path,
):
    assert set(SERVICES) == {"postgres", "migrate", "api", "projector", "dispatcher"}
    assert SERVICES["postgres"]["image"].startswith("postgres:15")
    assert APP_SERVICES == ["api", "dispatcher", "migrate", "projector"]
    commands = {name: _service_command(name, tmp_path) for name in APP_SERVICES}
    assert commands == {
        "migrate": "migrate", "api": "serve", "projector": "project",
        "dispatcher": "deliver",
    }  # fmt: skip
    for name in ("api", "projector", "dispatcher"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == (
        "service_healthy"
    )
    assert SERVICES["migrate"]["restart"] == "no"


def test_postgres_is_healthy_when_pg_isready_reaches_its_database():
    check = " ".join(SERVICES["postgres"]["healthcheck"]["test"])
    postgres = SERVICES["postgres"]["environment"]
    assert "pg_isready" in check
    assert f"-U {postgres['POSTGRES_USER']}" in check
    assert f"-d {postgres['POSTGRES_DB']}" in check


def test_the_api_is_healthy_only_when_a_public_route_answers_200(tmp_path):
    from web import create_app
    from web.context import PUBLIC_ENDPOINTS

    check = SERVICES["api"]["healthcheck"]["test"]
    # exec form, with the image's own Python: the slim image has no curl.
    assert check[:2] == ["CMD", "python"]
    (url,) = re.findall(r"https?://[^'\"\s]+", " ".join(check))
    url = urlsplit(url)
    serve = _run_entrypoint(list(SERVICES["api"]["command"]), tmp_path)
    assert serve[serve.index("--port") + 1] == str(url.port)
    assert any(str(p).endswith(f":{url.port}") for p in SERVICES["api"]["ports"])
    assert ("EXPOSE", str(url.port)) in FINAL_STAGE

    app = create_app(Settings(data_dir=tmp_path / "data"))
    try:
        endpoint, _ = app.url_map.bind("localhost").match(url.path, method="GET")
        assert endpoint in PUBLIC_ENDPOINTS
        # No token: a public route; 200 on a store that answers.
        assert app.test_client().get(url.path).status_code == 200
    finally:
        app.extensions["appraisal"]["runtime"].close()


def _read_by_settings() -> set[str]:
    """The environment variables ``Settings.from_env`` asks for."""

    class Recording(dict[str, str]):
        def __init__(self) -> None:
            super().__init__()
            self.asked: set[str] = set()

        def get(self, key: str, default: Any = None) -> Any:
            self.asked.add(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> str:
            self.asked.add(key)
            return super().__getitem__(key)

    environ = Recording()
    Settings.from_env(environ)
    return environ.asked


def test_the_app_services_and_the_image_set_only_settings_the_code_reads():
    read = _read_by_settings()
    assert read == set(ENVIRONMENT)
    for name in APP_SERVICES:
        assert set(SERVICES[name]["environment"]) <= read, name
    image = {
        name
        for keyword, rest in FINAL_STAGE
        if keyword == "ENV"
        for name in re.findall(r"(?:^|\s)(\w+)=", rest)
    }
    ours = {n for n in image if n.startswith("APPRAISAL_") or n == "DATABASE_URL"}
    assert ours and ours <= read


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


def test_compose_builds_the_image_and_installs_nothing_at_start():
    for name, service in SERVICES.items():
        started = json.dumps([service.get("command"), service.get("entrypoint")])
        assert "pip" not in started, name
    for name in APP_SERVICES:
        service = SERVICES[name]
        context = service["build"]
        context = context["context"] if isinstance(context, dict) else context
        assert (ROOT / context / "Dockerfile").is_file(), name
        # No checkout mounted over the image: what runs is what was built.
        mounts = [str(v).split(":")[0] for v in service.get("volumes", [])]
        assert not [m for m in mounts if m.startswith(".")], name
    assert len({SERVICES[name]["image"] for name in APP_SERVICES}) == 1


def test_the_image_runs_the_console_script_of_pyproject(tmp_path):
    # `docker compose run --rm api demo` and `... api appraisal demo` alike.
    assert _run_entrypoint(["demo"], tmp_path) == [SCRIPT, "demo"]
    assert _run_entrypoint([SCRIPT, "demo"], tmp_path) == [SCRIPT, "demo"]
    assert _cli_command(_run_entrypoint(_exec_form("CMD"), tmp_path)) == "serve"
    # The script is the installed package's: the build installs the project.
    builds = " ".join(rest for keyword, rest in DOCKERFILE if keyword == "RUN")
    assert re.search(r"pip install (--no-deps )?\.(\s|$)", builds)
    assert "pip install" not in " ".join(
        rest for keyword, rest in FINAL_STAGE if keyword == "RUN"
    )


def test_the_image_builds_on_a_pinned_python_the_project_supports():
    requires = SpecifierSet(PROJECT["project"]["requires-python"])
    for keyword, rest in DOCKERFILE:
        if keyword == "FROM":
            image = rest.split()[0]
            version = re.fullmatch(r"python:(\d+\.\d+)(\.\d+)?-slim-\w+", image)
            assert version, f"{image}: a slim python image pinned to a version"
            assert version.group(1) in requires


def test_the_image_copies_every_package_and_nothing_the_build_context_ignores():
    copied = [
        rest.split()[0]
        for keyword, rest in DOCKERFILE
        if keyword == "COPY" and not rest.startswith("--from")
    ]
    packages = {
        p.rstrip("*")
        for p in PROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages <= set(copied)
    assert PROJECT["project"]["readme"] in copied
    assert [c for c in copied if _docker_ignored(c)] == []


def _docker_ignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (the last
    matching pattern decides; a directory takes its contents with it)."""
    ignored = False
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for line in lines:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match, plus ``**``) as a regex."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1].replace("[!", "[^"), end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def test_the_build_context_leaves_out_local_environments_data_and_caches():
    for path in (
        ".venv/bin/python",
        ".git/HEAD",
        "data/events.sqlite",
        "data/demo-tokens.json",
        "events.sqlite",
        ".env",
        "web/__pycache__/config.cpython-311.pyc",
        ".pytest_cache/v",
        ".ruff_cache/x",
        ".hypothesis/examples",
        "mutants/domain",
        "appraisal.egg-info/PKG-INFO",
    ):
        assert _docker_ignored(path), path
    for path in ("pyproject.toml", "README.md", "web/config.py", "domain/rulebooks"):
        assert not _docker_ignored(path), path


def test_the_image_runs_as_a_user_that_is_not_root():
    users = [rest.split(":")[0] for keyword, rest in FINAL_STAGE if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    keywords = [keyword for keyword, _ in FINAL_STAGE]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")
    creates = " ".join(rest for keyword, rest in FINAL_STAGE if keyword == "RUN")
    assert re.search(rf"useradd .*--uid {users[-1]}\b", creates)


def test_the_documented_compose_commands_are_real_cli_commands(tmp_path):
    documented = list(_documented_compose_commands())
    assert ("run", "api", [SCRIPT, "demo"]) in documented
    for verb, service, args in documented:
        assert service in APP_SERVICES, service
        # run goes through the image's entrypoint, exec runs what it is given.
        argv = _run_entrypoint(args, tmp_path) if verb == "run" else args
        _cli_command(argv)


def test_the_readme_documents_every_setting():
    missing = [name for name in ENVIRONMENT if f"`{name}`" not in README]
    assert missing == []


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if "pytest" in line)
    assert f"```sh\n{command}\n```" in README


def test_the_facts_doc_lists_every_observation_kind_metric_and_workflow_case():
    from domain.metrics import METRICS
    from domain.observations import KINDS
    from domain.orders import workflow

    doc = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    names = [*KINDS, *METRICS, *workflow().submit_cases, *workflow().process_cases]
    names += [*workflow().dispute_reasons, *workflow().finish_outcomes]
    assert [name for name in names if f"`{name}`" not in doc] == []
