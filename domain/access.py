"""Who may do what: principals, roles and bearer tokens (stored hashed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError
from domain.text import N_

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:token")
TOKEN_PREFIX = "apr_"
VALID_DAYS = 90  # how long a token is valid unless issued for another term


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    AGENT = "agent"
    REVIEWER = "reviewer"


@dataclass(frozen=True)
class Principal:
    """The authenticated user a command or query is made by."""

    user: str
    role: Role
    team: str | None = None
    token_id: str | None = field(default=None, compare=False)
    """The token it authenticated with, if any"""

    def may_record_for(self, team: str) -> bool:
        """Admins record for anyone; supervisors only for their own team."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.SUPERVISOR and self.team == team

    def may_read_agent(self, agent_id: str) -> bool:
        """Agents see only themselves; every other role sees the department."""
        return self.role is not Role.AGENT or self.user == agent_id

    def may_see_team_duties(self, team: str) -> bool:
        """A team's improvement-plan duties: its supervisor's; admins, reviewers
        and auditors see every team's."""
        if self.role is Role.SUPERVISOR:
            return self.team == team
        return self.role is not Role.AGENT

    @property
    def may_dispute(self) -> bool:
        """Disputes deductions: admins, and supervisors (of their own team's
        agents, ``may_record_for``)."""
        return self.role in (Role.ADMIN, Role.SUPERVISOR)

    @property
    def may_resolve_disputes(self) -> bool:
        return self.role in (Role.ADMIN, Role.REVIEWER)

    def may_resolve(self, named: str | None) -> bool:
        """A dispute that named ``named`` as its reviewer (None: anyone's):
        an admin resolves any; a reviewer one naming them or no one."""
        return self.role is Role.ADMIN or (
            self.may_resolve_disputes and named in (None, self.user)
        )

    @property
    def may_read_department(self) -> bool:
        """Everyone's scores at once (previews, rebuild results): not agents."""
        return self.role is not Role.AGENT

    @property
    def may_register_agents(self) -> bool:
        return self.may_administer

    @property
    def may_administer(self) -> bool:
        """Rules, rebuilds and read models are the admin's."""
        return self.role is Role.ADMIN


def hash_token(token: str) -> str:
    """Tokens are long random secrets, so one SHA-256 round is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenRejectedError(DomainError):
    """Raised when a known bearer token may no longer be used (expired, revoked)."""


class AccessToken(Aggregate):
    """A bearer token. Only its hash is ever stored. It expires, and can be
    revoked (rotating one issues its successor and revokes it)."""

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return uuid5(_NAMESPACE, token_hash)

    class Issued(Aggregate.Created):
        class_version = 2
        token_hash: str
        user: str
        role: str
        team: str | None
        issued_by: str
        expires_on: date | None
        """The last day it may be used; None for tokens issued before tokens
        expired, which expire ``VALID_DAYS`` days after they were issued."""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["expires_on"] = None

    @event(Issued)
    def __init__(
        self,
        token_hash: str,
        user: str,
        role: str,
        team: str | None,
        issued_by: str,
        expires_on: date | None,
    ) -> None:
        self.token_hash = token_hash
        self.user = user
        self.role = role
        self.team = team
        self.issued_by = issued_by
        self.expires_on = expires_on
        self.revoked: dict[str, str] | None = None

    @property
    def token_id(self) -> str:
        """How the token is named in lists and commands; never the secret."""
        return self.id.hex[:12]

    @property
    def last_day(self) -> date:
        return self.expires_on or self.created_on.date() + timedelta(days=VALID_DAYS)

    def refusal(self, today: date) -> str | None:
        """Why the token may not be used today, or None."""
        if self.revoked:
            return N_(
                "The token was revoked on {on} by {by} ({reason}); ask an admin "
                "for a new one."
            ).format(
                on=self.revoked["on"],
                by=self.revoked["by"],
                reason=self.revoked["reason"],
            )
        if today > self.last_day:
            return N_(
                "The token expired on {day}; ask an admin for a new one "
                "(appraisal token rotate)."
            ).format(day=self.last_day)
        return None

    def revoke(self, by: str, reason: str, today: date) -> None:
        if self.revoked is None:
            self.trigger_event(self.Revoked, by=by, reason=reason, revoked_on=today)

    class Revoked(Aggregate.Event):
        by: str
        reason: str
        revoked_on: date

        def apply(self, token: AccessToken) -> None:
            token.revoked = {
                "by": self.by,
                "reason": self.reason,
                "on": self.revoked_on.isoformat(),
            }

    @property
    def principal(self) -> Principal:
        return Principal(self.user, Role(self.role), self.team, self.token_id)
