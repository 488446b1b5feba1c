"""Webhooks: the dispatcher (``appraisal deliver``), subscriptions and their
deliveries."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from uuid import UUID

import click

from domain.webhooks import DELETED
from projections.deliveries import report
from projections.dispatcher import Dispatcher
from projections.operator import queued_delivery, queued_of
from web.cli.base import main, opened
from web.config import Settings


@main.command()
@click.pass_obj
def deliver(settings: Settings) -> None:
    """Post queued webhook deliveries until stopped (SIGINT or SIGTERM)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    runtime = settings.open_runtime(settings.projector_store)
    delivery = settings.delivery
    click.echo(
        f"Delivering webhooks (timeout {delivery.timeout:g} s, up to "
        f"{delivery.max_attempts} attempts in {delivery.retry_for / 3600:g} h)",
        err=True,
    )
    try:
        Dispatcher(runtime, delivery).run(stop)
    finally:
        runtime.close()


@main.group()
def webhooks() -> None:
    """Webhook subscriptions and their deliveries."""


@webhooks.command("list")
@click.pass_obj
def list_webhooks(settings: Settings) -> None:
    """Every subscription: id, status, format, language, team, kinds, URL."""
    with opened(settings) as runtime:
        runtime.catch_up() if runtime.config.projects_inline else None
        found = [w for w in runtime.view.webhooks() if w["status"] != DELETED]
    for w in found:
        click.echo(
            f"{w['webhook_id']}  {w['status']:<6}  {w['format']:<8}  "
            f"{w['language']:<5}  {w['team'] or '-':<10}  "
            f"{','.join(w['kinds'])}  {w['url']}"
        )


@webhooks.command("deliveries")
@click.argument("webhook_id", type=click.UUID)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.pass_obj
def list_deliveries(settings: Settings, webhook_id: UUID, limit: int) -> None:
    """A subscription's deliveries, newest first, with every attempt."""
    with opened(settings) as runtime:
        runtime.catch_up() if runtime.config.projects_inline else None
        if runtime.view.webhook(str(webhook_id)) is None:
            raise click.ClickException(f"no webhook {webhook_id}")
        queued = queued_of(runtime.view, runtime.deliveries, str(webhook_id), limit)
        shown = report(runtime.deliveries, queued)
    for d in shown:
        click.echo(
            f"{d['delivery_id']}  {d['kind']:<16}  position {d['position']}  "
            f"{d['status']}" + (f", next {d['next_at']:%Y-%m-%d %H:%M:%S}Z"
                                if d["status"] == "pending" and d["next_at"] else "")
        )  # fmt: skip
        for a in d["attempts"]:
            said = a["status_code"] if a["status_code"] is not None else a["error"]
            click.echo(
                f"    #{a['number']}  {a['at']:%Y-%m-%d %H:%M:%S}Z  {said}  "
                f"{a['latency_ms']} ms  {a['excerpt'][:80]!r}"
            )


@webhooks.command("redeliver")
@click.argument("delivery_id", type=click.UUID)
@click.pass_obj
def redeliver(settings: Settings, delivery_id: UUID) -> None:
    """Send a delivery again now, with a fresh round of retries."""
    with opened(settings) as runtime:
        if queued_delivery(runtime.view, runtime.deliveries, str(delivery_id)) is None:
            raise click.ClickException(f"no delivery {delivery_id}")
        taken = runtime.deliveries.redeliver(str(delivery_id), datetime.now(UTC))
    click.echo("due again now" if taken else "not sent yet: it is due already")
