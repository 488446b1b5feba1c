"""The ``appraisal`` group and what its commands share: the command class (one
line for every failure), the store a command opens, the admin it acts as,
months and days within the accepted range, and progress bars."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import click

from domain.access import Principal, Role
from domain.errors import DomainError
from domain.month import Month, MonthRange, parse_day
from domain.text import PROBLEM, printable, unstorable_fields
from projections.runtime import Runtime
from web.config import ConfigError, Settings
from web.operational import operational_message

T = TypeVar("T")


class Command(click.Command):
    """A command whose arguments follow the store's text rule, and whose
    failures are one line saying what is wrong and what to do (exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        for name, value in ctx.params.items():
            if unstorable_fields(value):
                raise click.BadParameter(PROBLEM, ctx=ctx, param_hint=f"'{name}'")
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (``| head``): stop quietly
            raise click.exceptions.Exit(1) from None
        except DomainError as error:
            raise click.ClickException(printable(error.message)) from None
        except Exception as error:  # an operational error: one line, no traceback
            message = operational_message(error, ctx.find_object(Settings))
            if message is None:
                raise
            raise click.ClickException(message) from None


class Group(Command, click.Group):
    command_class = Command
    group_class = type


@click.group(cls=Group)
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
        raise click.ClickException(f"configuration: {error}") from None


@contextmanager
def opened(settings: Settings) -> Iterator[Runtime]:
    """The store, open for the length of a command."""
    runtime = settings.open_runtime()
    try:
        yield runtime
    finally:
        runtime.close()


def admin() -> Principal:
    """Commands run on the server's own machine act as an admin."""
    return Principal(getpass.getuser() or "cli", Role.ADMIN)


def accepted_month(text: str) -> Month:
    return _accepted(Month.parse, text)


def accepted_day(text: str) -> date:
    return _accepted(parse_day, text)


def _accepted(parse: Callable[[str], T], text: str) -> T:
    """A month or day argument, within the months the service accepts."""
    settings = click.get_current_context().find_object(Settings)
    try:
        return (settings.months if settings else MonthRange()).read(parse, text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


class Progress:
    """A progress bar on stderr, moved to what is done so far."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def advance(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self._bar.total = total
        self._bar.update(max(done - self._bar.n, 0))

    def note(self, text: str) -> None:
        """A word after the bar's figures (rows done, rate, time left)."""
        self._bar.set_postfix_str(text, refresh=False)

    def write(self, line: str) -> None:
        """A line on stderr, above the bar."""
        self._bar.write(line, file=sys.stderr)


@contextmanager
def progress(desc: str, unit: str, total: int | None = None) -> Iterator[Progress]:
    # tqdm is imported here, not at the top: only the commands that show a bar
    # (rebuild, verify, import) need it, and every other command starts without.
    from tqdm import tqdm

    with tqdm(total=total, unit=unit, desc=desc) as bar:
        yield Progress(bar)
