"""Bearer tokens: issued for a term, listed, revoked, rotated (part of AppraisalApp).

Only a token's SHA-256 is stored. A token is valid through its last day
(``VALID_DAYS`` after it was issued, unless issued for another term); a revoked
or expired one is refused with the reason, so its holder knows what to ask for.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Recording

from domain.access import (
    TOKEN_PREFIX,
    VALID_DAYS,
    AccessToken,
    Principal,
    Role,
    TokenRejectedError,
    hash_token,
)
from domain.agent import Agent
from domain.errors import InvalidFactError, NotFoundError
from domain.text import N_

_REGISTERED = f"{Agent.__module__}:{Agent.__qualname__}.Registered"
_TOPICS = [
    f"{AccessToken.__module__}:{AccessToken.__qualname__}.{name}"
    for name in ("Issued", "Revoked")
]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    principal: Principal
    position: int
    token_id: str = ""
    expires_on: date | None = None


@dataclass(frozen=True)
class TokenInfo:
    """A token as an admin sees it: never the secret."""

    token_id: str
    user: str
    role: str
    team: str | None
    issued_on: date
    expires_on: date
    issued_by: str
    revoked: dict[str, str] | None


class TokenNotFoundError(NotFoundError):
    """Raised when no token has the given id."""


class TokenCommands:
    """Mixed into ``AppraisalApp``, whose ``repository``, ``recorder``,
    ``mapper``, ``save`` and ``today`` it uses."""

    repository: Any
    recorder: Any
    mapper: Any
    save: Callable[..., list[Recording[UUID]]]
    today: Callable[[], date]

    def issue_token(
        self,
        user: str,
        role: Role,
        team: str | None,
        issued_by: str,
        valid_days: int = VALID_DAYS,
    ) -> IssuedToken:
        if role is Role.SUPERVISOR and not team:
            raise InvalidFactError(N_("a supervisor token needs a team"), field="team")
        if not 1 <= valid_days <= 3660:
            raise InvalidFactError(N_("a token is valid 1 to 3660 days"), field="days")
        issued = self._new_token(user, role, team, issued_by, valid_days)
        (recording,) = self.save(issued[1])
        return self._issued(issued, recording)

    def _new_token(
        self, user: str, role: Role, team: str | None, issued_by: str, days: int
    ) -> tuple[str, AccessToken]:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return token, AccessToken(
            token_hash=hash_token(token),
            user=user,
            role=role.value,
            team=team,
            issued_by=issued_by,
            expires_on=self.today() + timedelta(days=days - 1),
        )

    @staticmethod
    def _issued(
        issued: tuple[str, AccessToken], recording: Recording[UUID]
    ) -> IssuedToken:
        token, aggregate = issued
        return IssuedToken(
            token, aggregate.principal, recording.notification.id,
            aggregate.token_id, aggregate.expires_on,
        )  # fmt: skip

    def check_holder(
        self, user: str, role: Role, team: str | None, *, new_team: bool = False
    ) -> None:
        """Refuse a token that does not fit its holder: an agent's token for
        someone who is not an agent, another role for an agent, a supervisor of
        a team without agents (unless it is new)."""
        roster = self._roster()
        if role is Role.AGENT and user not in roster:
            raise InvalidFactError(
                N_(
                    "{user!r} is not a registered agent; an agent token's user is "
                    "the agent id"
                ),
                user=user,
                field="user",
            )
        if role is not Role.AGENT and user in roster:
            raise InvalidFactError(
                N_("{user!r} is an agent id; an agent's token has the role agent"),
                user=user,
                field="role",
            )
        if team and team not in roster.values() and not new_team:
            known = ", ".join(sorted(set(roster.values()))) or "none yet"
            raise InvalidFactError(
                N_(
                    "no agent is registered in team {team!r} (teams: {known}); "
                    "say it is a new team (--new-team) to issue it anyway"
                ),
                team=team,
                known=known,
                field="team",
            )

    def _roster(self) -> dict[str, str]:
        """Every registered agent id and its team."""
        return {
            event.agent_id: event.team
            for event in map(
                self.mapper.to_domain_event,
                self.recorder.select_notifications(
                    None, limit=10**9, topics=[_REGISTERED]
                ),
            )
        }

    def authenticate(self, token: str) -> Principal | None:
        """The principal a bearer token stands for; None if it is unknown;
        ``TokenRejectedError`` with the reason if it expired or was revoked."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        return self.principal_of(hash_token(token))

    def principal_of(self, token_hash: str) -> Principal | None:
        """``authenticate``, for a token known by its SHA-256 (all a signed-in
        page session keeps): None if unknown, ``TokenRejectedError`` if it
        expired or was revoked since."""
        token_id = AccessToken.create_id(token_hash)
        found: AccessToken | None = self.current(token_id).get(token_id)
        if found is None:
            return None
        refusal = found.refusal(self.today())
        if refusal:
            raise TokenRejectedError(refusal)
        return found.principal

    def tokens(self) -> list[TokenInfo]:
        """Every token ever issued, oldest first."""
        return [
            TokenInfo(
                t.token_id, t.user, t.role, t.team, t.created_on.date(), t.last_day,
                t.issued_by, t.revoked,
            )
            for t in self._all_tokens()
        ]  # fmt: skip

    def _all_tokens(self) -> list[AccessToken]:
        found: dict[UUID, AccessToken] = {}
        for notification in self.recorder.select_notifications(
            None, limit=10**9, topics=_TOPICS
        ):
            event = self.mapper.to_domain_event(notification)
            found[event.originator_id] = event.mutate(found.get(event.originator_id))
        return list(found.values())

    def _token(self, token_id: str) -> AccessToken:
        """The token whose id starts with ``token_id`` (at least 6 characters)."""
        wanted = token_id.strip().lower()
        matches = [t for t in self._all_tokens() if t.token_id.startswith(wanted)]
        if len(wanted) < 6 or len(matches) != 1:
            raise TokenNotFoundError(
                N_("{token_id!r} names {count} tokens; give more of its id")
                if len(matches) > 1
                else N_("no token {token_id!r} (give at least 6 characters of its id)"),
                token_id=token_id,
                count=len(matches),
                field="token_id",
            )
        return matches[0]

    def holder_hash(self, token_id: str) -> str:
        """The hash of the token ``token_id`` names, for a one-time sign-in
        code that stands for it; ``TokenRejectedError`` if it may not be used."""
        found = self._token(token_id)
        refusal = found.refusal(self.today())
        if refusal:
            raise TokenRejectedError(refusal)
        return found.token_hash

    def revoke_token(self, token_id: str, by: str, reason: str) -> int | None:
        """Revoke a token; the position of the revocation (None: it already was)."""
        token = self._token(token_id)
        token.revoke(by, reason, self.today())
        recordings = self.save(token)
        return recordings[0].notification.id if recordings else None

    def rotate_token(
        self, token_id: str, by: str, valid_days: int = VALID_DAYS
    ) -> IssuedToken:
        """Issue the token's successor (same user, role and team) and revoke it,
        in one transaction."""
        old = self._token(token_id)
        if old.revoked:
            raise InvalidFactError(
                N_("token {token_id} is revoked"),
                token_id=old.token_id,
                field="token_id",
            )
        issued = self._new_token(old.user, Role(old.role), old.team, by, valid_days)
        old.revoke(by, f"rotated to {issued[1].token_id}", self.today())
        recordings = self.save(issued[1], old)
        return self._issued(issued, recordings[0])
