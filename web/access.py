"""Who may read what: every read permission of the API, decided here.

Commands are the domain's to refuse: ``AppraisalApp`` checks the principal of
each. Reads, and the few commands the domain does not record (imports, resuming
a rebuild), name a rule here: a view declares it (``only``), or hands what it
found to a function that filters it or refuses it (``agent``, ``owned``,
``roster``, ``team_duties``). A refusal is a domain error, which
``web.errors`` answers like any other: ``NotPermittedError`` (403) when the
role may not read such a thing at all, ``NotVisibleError`` (404) when one thing
is hidden from the principal, answered as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps
from inspect import unwrap
from typing import TYPE_CHECKING, Any, TypeVar

from domain.access import Principal, Role
from domain.errors import NotPermittedError, NotVisibleError
from domain.text import N_
from web.context import principal

if TYPE_CHECKING:
    from projections.cycle import Duty
    from projections.scoreboard import AgentRecord

T = TypeVar("T")
V = TypeVar("V", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    """Who may: a test of the principal, and what those who may not are told."""

    allows: Callable[[Principal], bool]
    refusal: str


DEPARTMENT = Rule(
    lambda p: p.may_read_department, N_("Agents may only read their own scores.")
)
AUDIT = Rule(
    lambda p: p.role in (Role.ADMIN, Role.AUDITOR),
    N_("Only an admin or an auditor may do this."),
)
ADMIN = Rule(lambda p: p.may_administer, N_("Only an admin may do this."))
DISPUTE = Rule(
    lambda p: p.may_dispute,
    N_("Only a supervisor or an admin may dispute deductions."),
)
RESOLVE = Rule(
    lambda p: p.may_resolve_disputes,
    N_("Only an admin or a reviewer may resolve disputes."),
)


def require(who: Principal, rule: Rule) -> None:
    if not rule.allows(who):
        raise NotPermittedError(rule.refusal)


def only(rule: Rule) -> Callable[[V], V]:
    """A view that the request's principal may call only if ``rule`` allows;
    put it next to the view, under the blueprint's decorators, so that the
    request is parsed first (a malformed request is a 400 for everyone)."""

    def decorator(view: V) -> V:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require(principal(), rule)
            return view(*args, **kwargs)

        # Names itself (decorators above copy the name, not the identity).
        checked.access_checked = checked  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorator


def checked_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """An API view unwrapped from its HTTP decorators, as the pages call it
    (``web.ui``), down to its ``only`` check if it has one, which still
    applies."""
    return unwrap(view, stop=lambda f: getattr(f, "access_checked", None) is f)


def agent(who: Principal, agent_id: str) -> None:
    """Agents read only their own records; every other role reads anyone's."""
    if not who.may_read_agent(agent_id):
        raise NotPermittedError(N_("Agents may only read their own records."))


def owned(
    who: Principal,
    found: T | None,
    owner: Callable[[T], str],
    refusal: str,
    field: str | None = None,
) -> T:
    """``found``, if there is one and its owner is an agent ``who`` may read;
    else, alike, ``refusal`` as if it did not exist."""
    if found is None or not who.may_read_agent(owner(found)):
        raise NotVisibleError(refusal, field=field)
    return found


@dataclass(frozen=True)
class Scope:
    """The part of the department a list of agents' records shows."""

    team: str | None = None
    agent_id: str | None = None


def scope(who: Principal) -> Scope:
    """What a list of agents' records (deductions) shows ``who``: an agent
    their own, a supervisor their own team's, the other roles everyone's."""
    if who.role is Role.AGENT:
        return Scope(agent_id=who.user)
    if who.role is Role.SUPERVISOR:
        return Scope(team=who.team or "")
    return Scope()


def within(
    who: Principal,
    filters: Mapping[str, Any],
    agent: Callable[[str], AgentRecord | None],
) -> dict[str, Any]:
    """``filters`` narrowed to ``who``'s ``scope``. A filter that names an agent
    or a team outside it is refused (403), as reading that agent's records
    would be; without one, the list is only what ``who`` may see."""
    seen = scope(who)
    wanted = dict(filters)
    named = wanted.get("agent_id")
    if seen.agent_id is not None:
        if named not in (None, seen.agent_id):
            raise NotPermittedError(N_("Agents may only read their own records."))
        wanted["agent_id"] = seen.agent_id
    if seen.team is not None:
        outside = wanted.get("team") not in (None, seen.team) or (
            named is not None and getattr(agent(named), "team", seen.team) != seen.team
        )
        if outside:
            raise NotPermittedError(
                N_("Supervisors may only list their own team's records ({team})."),
                team=seen.team,
            )
        wanted["team"] = seen.team
    return wanted


def roster(who: Principal, agents: Iterable[AgentRecord]) -> list[AgentRecord]:
    """The agents ``who`` may read: an agent sees only themselves."""
    return [a for a in agents if who.may_read_agent(a.agent_id)]


def team_duties(
    who: Principal, duties: Iterable[Duty], team_of: Mapping[str, str]
) -> list[Duty]:
    """The improvement-plan duties ``who`` may see: a supervisor sees their own
    team's, agents none."""
    return [d for d in duties if who.may_see_team_duties(team_of.get(d.agent_id, ""))]
