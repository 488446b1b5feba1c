"""Bearer tokens: issue, list, revoke, rotate."""

from __future__ import annotations

import click

from domain.access import VALID_DAYS, Role
from domain.tokens import IssuedToken
from web.cli.base import admin, main, opened
from web.config import Settings


@main.group()
def token() -> None:
    """Bearer tokens."""


DAYS = click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=VALID_DAYS,
    show_default=True,
    help="How many days the token is valid, today included.",
)


def _print_issued(issued: IssuedToken) -> None:
    """The token on stdout, alone; what it is on stderr."""
    click.echo(issued.token)
    click.echo(f"token {issued.token_id}, valid until {issued.expires_on}", err=True)


@token.command("issue")
@click.option("--user", required=True, help="User name (for agents: the agent id).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--team", help="The supervisor's team.")
@click.option("--new-team", is_flag=True, help="The team has no agents yet.")
@DAYS
@click.pass_obj
def issue_token(
    settings: Settings,
    user: str,
    role: str,
    team: str | None,
    new_team: bool,
    days: int,
) -> None:
    """Issue a bearer token and print it (only its hash is stored)."""
    with opened(settings) as runtime:
        runtime.app.check_holder(user, Role(role), team, new_team=new_team)
        issued = runtime.app.issue_token(user, Role(role), team, "cli", days)
    _print_issued(issued)


@token.command("list")
@click.pass_obj
def list_tokens(settings: Settings) -> None:
    """Every token: id, user, role, team, issued, expires, last used, state.
    Never the secret."""
    with opened(settings) as runtime:
        tokens = runtime.app.tokens()
        used = runtime.usage.last_used()
        today = runtime.app.today()
    click.echo("id\tuser\trole\tteam\tissued\texpires\tlast used\tstate")
    for t in tokens:
        state = (
            f"revoked {t.revoked['on']}: {t.revoked['reason']}"
            if t.revoked
            else "expired"
            if t.expires_on < today
            else "valid"
        )
        last = used.get(t.token_id)
        click.echo(
            "\t".join([t.token_id, t.user, t.role, t.team or "-", str(t.issued_on),
                       str(t.expires_on), last.isoformat(timespec="seconds")
                       if last else "never", state])
        )  # fmt: skip


@token.command("revoke")
@click.argument("token_id")
@click.option("--reason", required=True, help="Why (shown to its holder).")
@click.pass_obj
def revoke_token(settings: Settings, token_id: str, reason: str) -> None:
    """Revoke a token (by its id from 'token list'); it is refused from now on."""
    with opened(settings) as runtime:
        position = runtime.app.revoke_token(token_id, admin().user, reason)
    click.echo(f"revoked at position {position}" if position else "already revoked")


@token.command("rotate")
@click.argument("token_id")
@DAYS
@click.pass_obj
def rotate_token(settings: Settings, token_id: str, days: int) -> None:
    """Issue a token's successor (same user, role and team), revoke it, and
    print the new token."""
    with opened(settings) as runtime:
        issued = runtime.app.rotate_token(token_id, admin().user, days)
    _print_issued(issued)


@token.command("code")
@click.argument("token_id")
@click.pass_obj
def sign_in_code(settings: Settings, token_id: str) -> None:
    """Print a one-time code that signs the holder of a token (by its id from
    'token list') in to the pages instead of the token; it works once, for
    five minutes."""
    with opened(settings) as runtime:
        code, expires = runtime.sign_in_codes.make(runtime.app.holder_hash(token_id))
    click.echo(code)
    click.echo(f"one use, until {expires.isoformat(timespec='seconds')}", err=True)
