"""Named domain errors; the web layer maps each family to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Raised when a command breaks a rule of the domain."""

    def __init__(
        self, template: str, *, field: str | None = None, **params: object
    ) -> None:
        # The English text, and its template and parameters for the web layer
        # to answer in the request's language (mark templates with ``N_``).
        message = template.format(**params) if params else template
        super().__init__(message)
        self.message = message
        self.template = template
        self.params = params
        self.field = field


class NotFoundError(DomainError):
    """Raised when a command or query names something that does not exist."""


class AgentNotFoundError(NotFoundError):
    """Raised when no agent is registered under the given id."""


class DeductionNotFoundError(NotFoundError):
    """Raised when no deduction was recorded under the given id."""


class RebuildNotFoundError(NotFoundError):
    """Raised when no rebuild was requested under the given id."""


class NotVisibleError(DomainError):
    """Raised when a read asks for something that does not exist or that the
    principal may not see; the two are answered alike, so that a refusal does
    not tell what exists."""


class ConflictError(DomainError):
    """Raised when a command would duplicate something that already exists."""


class ConcurrentChangeError(Exception):
    """Raised by the store when an aggregate a command read (but does not
    write) changed before the command's events were written; the command runs
    again on fresh state."""

    def __init__(self, changed: list[object]) -> None:
        super().__init__(f"changed concurrently: {', '.join(map(str, changed))}")
        self.changed = changed


class AgentAlreadyRegisteredError(ConflictError):
    """Raised when an agent id is registered a second time."""


class InvalidFactError(DomainError):
    """Raised when a fact is well-formed but not acceptable (unknown rule item,
    a date in the future or before the agent joined, and so on)."""


class NotPermittedError(DomainError):
    """Raised when the principal's role or team does not allow the command."""


class RulebookError(DomainError):
    """Raised when a rulebook breaks one of its own invariants."""
