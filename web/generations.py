"""Rebuilds and read-model generations described: which rules each applies,
who asked for it, when and why. The API and the command line show the same.

They are read from the rules register and its rebuilds, a handful of
aggregates, as the rebuild's own progress is: no read model folds them, since
a generation's own tables cannot describe the generations beside it.
"""

from __future__ import annotations

from typing import Any

from domain.application import AppraisalApp
from domain.rebuild import Rebuild
from projections.preview import reach_summary
from projections.rebuild import Progress


def request_of(rebuild: Rebuild) -> dict[str, Any]:
    """What a rebuild was asked to do, by whom, when and why, and its status."""
    return {
        "rebuild_id": rebuild.id,
        "generation": rebuild.generation,
        "parent": rebuild.parent,
        "status": rebuild.status,
        "rulebook_id": rebuild.rulebook_id,
        "version": rebuild.rulebook_version,
        "effective_from": rebuild.effective_from,
        "requested_by": rebuild.requested_by,
        "requested_at": rebuild.created_on,
        "reason": rebuild.reason,
    }


def progress_of(found: Progress) -> dict[str, Any]:
    """A rebuild's request, the months its version governs, how far it got."""
    return (
        request_of(found.rebuild)
        | reach_summary(found.reach)
        | {
            "done": found.done,
            "total": found.total,
            "rate": found.rate,
            "remaining_seconds": found.remaining_seconds,
            "started_at": found.started_at,
            "result": found.result,
        }
    )


def rebuilds(app: AppraisalApp, limit: int, after: int | None) -> list[Rebuild]:
    """Up to ``limit`` rebuilds of generations before ``after``, newest first."""
    made = app.rules_register().rebuilds
    wanted = sorted((g for g in made if after is None or g < after), reverse=True)
    return [app.get_rebuild(made[g]) for g in wanted[:limit]]


def generations(app: AppraisalApp) -> list[dict[str, Any]]:
    """Every generation: its parent, whether it is live, being built or
    dropped, and the rebuild that made it (none for the first)."""
    register = app.rules_register()
    return [
        {
            "generation": generation,
            "parent": parent,
            "live": generation == register.live,
            "building": generation == register.building,
            "dropped": generation in register.dropped,
            "rebuild": request_of(app.get_rebuild(register.rebuilds[generation]))
            if generation in register.rebuilds
            else None,
        }
        for generation, parent in sorted(register.parents.items())
    ]
