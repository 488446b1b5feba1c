"""Competition ranking (1, 2, 2, 4) and the groups it defines, as pure functions.

The read models rank in SQL (``RANK() OVER``); previews and reward rules rank
in memory with these, and a test keeps the two in agreement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


class Standing(Protocol):
    @property
    def agent_id(self) -> str: ...

    @property
    def total(self) -> Decimal: ...


@dataclass(frozen=True)
class Ranked:
    agent_id: str
    total: Decimal
    rank: int


def rank(totals: Mapping[str, Decimal]) -> list[Ranked]:
    """Highest total first; equal totals share a rank and the next rank skips;
    ties are listed by agent id."""
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    ranked: list[Ranked] = []
    for index, (agent_id, total) in enumerate(ordered):
        same = ranked and ranked[-1].total == total
        ranked.append(Ranked(agent_id, total, ranked[-1].rank if same else index + 1))
    return ranked


def top(ranked: Sequence[Ranked], places: int) -> set[str]:
    """Agents ranked within the first ``places`` (ties at the edge included)."""
    return {r.agent_id for r in ranked if r.rank <= places}


def bottom(ranked: Sequence[Standing], size: int) -> set[str]:
    """The last ``size`` agents, with everyone tied with the first of them."""
    if size <= 0 or not ranked:
        return set()
    edge = ranked[max(len(ranked) - size, 0)].total
    return {r.agent_id for r in ranked if r.total <= edge}
