"""Running the service: serve, demo, project, migrate."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click

from projections.migrate import create_postgres_schema
from web import create_app
from web.cli.base import main, opened
from web.config import Settings
from web.demo import load_demo, store_name


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API under gunicorn."""
    # gunicorn (and web.server, which imports its workers) only when serving:
    # no other command needs them, and they would slow every command's start.
    from gunicorn.app.base import BaseApplication

    from web.server import SETTINGS

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            for name, value in SETTINGS.items():  # problem+json, wider limits
                self.cfg.set(name, value)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            return create_app(settings)

    click.echo(f"Serving on http://{host}:{port} (docs at /docs)", err=True)
    Server().run()


@main.command()
@click.pass_obj
def demo(settings: Settings) -> None:
    """Load the demo department (idempotent) and print its tokens."""
    with opened(settings) as runtime:
        loaded = load_demo(runtime, settings.data_dir)
    click.echo(
        f"Demo department: {loaded.agents_added} agents and "
        f"{loaded.deductions_added} deductions added."
    )
    click.echo(
        f"Demo tokens for {store_name(settings.store)} (valid there only; also in "
        f"{loaded.tokens_file}):"
    )
    for who, token in loaded.tokens.items():
        click.echo(f"  {who:22} {token}")


@main.command()
@click.pass_obj
def project(settings: Settings) -> None:
    """Keep the read models up to date until stopped (SIGINT or SIGTERM)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    runtime = settings.open_runtime(settings.projector_store)
    click.echo(f"Projecting from position {runtime.position}", err=True)
    try:
        runtime.run_projector(stop)
    finally:
        runtime.close()


@main.command()
@click.option(
    "--create-schema",
    is_flag=True,
    help="Create APPRAISAL_POSTGRES_SCHEMA first if it does not exist.",
)
@click.pass_obj
def migrate(settings: Settings, create_schema: bool) -> None:
    """Create the tables, indexes and triggers the store needs: only what is
    missing, never locking what exists. Safe to run at any time."""
    if create_schema and settings.database_url:
        made = create_postgres_schema(settings.database_url, settings.postgres_schema)
        if made:
            click.echo(f"created schema {settings.postgres_schema}")
    with opened(settings) as runtime:
        runtime.view  # noqa: B018 - the live generation's tables too
        created = runtime.created
    for name in created:
        click.echo(f"created {name}")
    click.echo(f"{len(created)} objects created" if created else "nothing to create")
