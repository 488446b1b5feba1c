"""Who may do what: principals, roles and bearer tokens (stored hashed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:token")
TOKEN_PREFIX = "apr_"


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

    def may_record_for(self, team: str) -> bool:
        """Admins record for anyone; supervisors only for their own team."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.SUPERVISOR and self.team == team

    def may_read_agent(self, agent_id: str) -> bool:
        """Agents see only themselves; every other role sees the department."""
        return self.role is not Role.AGENT or self.user == agent_id

    @property
    def may_resolve_disputes(self) -> bool:
        return self.role in (Role.ADMIN, Role.REVIEWER)

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


class AccessToken(Aggregate):
    """A bearer token. Only its hash is ever stored."""

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return uuid5(_NAMESPACE, token_hash)

    class Issued(Aggregate.Created):
        token_hash: str
        user: str
        role: str
        team: str | None
        issued_by: str

    @event(Issued)
    def __init__(
        self, token_hash: str, user: str, role: str, team: str | None, issued_by: str
    ) -> None:
        self.token_hash = token_hash
        self.user = user
        self.role = role
        self.team = team
        self.issued_by = issued_by

    @property
    def principal(self) -> Principal:
        return Principal(user=self.user, role=Role(self.role), team=self.team)
