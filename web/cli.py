"""The ``appraisal`` command: serve, demo, project, token issue."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from domain.access import Role
from domain.application import company_today
from domain.errors import DomainError
from projections.runtime import Runtime
from web.config import ConfigError, Settings


def _runtime(settings: Settings) -> Runtime:
    return Runtime(settings.store, today=company_today(settings.timezone))


@click.group()
@click.option(
    "--database-url",
    metavar="URL",
    help="PostgreSQL URL (default: $DATABASE_URL, else SQLite files).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Directory of the SQLite files (default: $APPRAISAL_DATA_DIR or ./data).",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None, data_dir: str | None) -> None:
    """Event-sourced KPI appraisal for customer-service teams."""
    overrides = {"database_url": database_url, "data_dir": data_dir}
    try:
        ctx.obj = Settings.from_env().updated({k: v for k, v in overrides.items() if v})
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API under gunicorn."""
    from gunicorn.app.base import BaseApplication

    from web import create_app

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            return create_app(settings)

    click.echo(f"Serving on http://{host}:{port} (docs at /docs)", err=True)
    Server().run()


@main.command()
@click.pass_obj
def demo(settings: Settings) -> None:
    """Load the demo department (idempotent) and print its tokens."""
    from web.demo import load_demo

    runtime = _runtime(settings)
    try:
        loaded = load_demo(runtime, settings.data_dir)
    finally:
        runtime.close()
    click.echo(
        f"Demo department: {loaded.agents_added} agents and "
        f"{loaded.deductions_added} deductions added."
    )
    click.echo(f"Demo tokens (also in {loaded.tokens_file}):")
    for who, token in loaded.tokens.items():
        click.echo(f"  {who:22} {token}")


@main.command()
@click.pass_obj
def project(settings: Settings) -> None:
    """Keep the read models up to date until stopped (SIGINT or SIGTERM)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    runtime = _runtime(settings)
    click.echo(f"Projecting from position {runtime.position}", err=True)
    try:
        runtime.run_projector(stop)
    finally:
        runtime.close()


@main.group()
def token() -> None:
    """Bearer tokens."""


@token.command("issue")
@click.option("--user", required=True, help="User name (for agents: the agent id).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--team", help="The supervisor's team.")
@click.pass_obj
def issue_token(settings: Settings, user: str, role: str, team: str | None) -> None:
    """Issue a bearer token and print it (only its hash is stored)."""
    runtime = _runtime(settings)
    try:
        issued = runtime.app.issue_token(user, Role(role), team, issued_by="cli")
    except DomainError as error:
        raise click.UsageError(error.message) from None
    finally:
        runtime.close()
    click.echo(issued.token)
