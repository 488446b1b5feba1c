"""The monthly cycle: periods, the company calendar, the payroll."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from projections.cycle import period_view
from web.cli.base import accepted_day, accepted_month, admin, main, opened
from web.config import Settings
from web.payroll_files import MEDIA_TYPES, payroll_file


@main.group()
def period() -> None:
    """A month's appraisal period: close, publish, reopen, show."""


@period.command("show")
@click.argument("month")
@click.pass_obj
def show_period(settings: Settings, month: str) -> None:
    """Status, review window and history of a month's period."""
    with opened(settings) as runtime:
        runtime.catch_up()
        found = period_view(runtime.view, accepted_month(month), runtime.app.today())
    status = found.status.value
    phase = "" if found.phase == status else f" ({found.phase})"
    click.echo(f"{found.month}: {status}{phase}")
    click.echo(f"review window: {found.review_from} to {found.review_to}")
    zone = ZoneInfo(settings.timezone)  # the zone of the dates beside them
    for entry in found.history:
        at = datetime.fromisoformat(entry["at"]).astimezone(zone)
        reason = f": {entry['reason']}" if entry.get("reason") else ""
        said = f"{at.isoformat(timespec='seconds')} {entry['event']} by {entry['by']}"
        click.echo(f"  {said}{reason}")


PAST = {"close": "closed", "publish": "published", "reopen": "reopened"}


def _period_command(name: str, doc: str, needs_reason: bool = False) -> None:
    @period.command(name, help=doc)
    @click.argument("month")
    @click.option("--reason", required=needs_reason, help="Why (required to reopen).")
    @click.pass_obj
    def command(settings: Settings, month: str, reason: str | None) -> None:
        with opened(settings) as runtime:
            act = getattr(runtime.app, f"{name}_period")
            given = (reason,) if needs_reason else ()
            position = act(admin(), accepted_month(month), *given)
        click.echo(f"{month} {PAST[name]} at position {position}")


_period_command("close", "Close a month that has ended: its facts are final.")
_period_command("publish", "Issue a closed month's report.")
_period_command("reopen", "Reopen a closed or published month.", needs_reason=True)


@main.group()
def calendar() -> None:
    """The company's own closed days."""


@calendar.command("close-day")
@click.argument("day")
@click.option("--reason", required=True)
@click.pass_obj
def close_day(settings: Settings, day: str, reason: str) -> None:
    """Make DAY (YYYY-MM-DD) a non-working day for review windows."""
    closed = accepted_day(day)
    with opened(settings) as runtime:
        position = runtime.app.close_day(admin(), closed, reason)
    click.echo(f"{closed} closed" if position else f"{closed} was closed")


@main.command()
@click.argument("month")
@click.option(
    "--output", "-o", type=click.File("wb"), default="-", help="The file to write."
)
@click.option(
    "--format",
    "form",
    type=click.Choice(list(MEDIA_TYPES)),
    help="csv (UTF-8 with a BOM) or xlsx (default: xlsx for an .xlsx output file, "
    "else csv).",
)
@click.pass_obj
def payroll(settings: Settings, month: str, output: Any, form: str | None) -> None:
    """Write the payroll of a published month as CSV or an Excel workbook."""
    written_as = Path(str(getattr(output, "name", ""))).suffix.lower()
    form = form or ("xlsx" if written_as == ".xlsx" else "csv")
    with opened(settings) as runtime:
        runtime.catch_up()
        output.write(payroll_file(runtime.view, accepted_month(month), form))
