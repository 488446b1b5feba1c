"""Running a rebuild: fold the whole log into a new generation of the read models
while the live one keeps serving, then record the result and switch readers.

A rebuild is resumable: its view's tracking position says how far it got, so
running it again after a crash carries on from there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.application import AppraisalApp
from domain.month import Month
from domain.reach import Reach, reach
from domain.rebuild import Rebuild
from domain.rulebook import rulebook_of
from domain.scoring import CENT
from projections.preview import LARGEST_MOVES, reach_summary
from projections.runtime import ClosingError, Runtime

logger = logging.getLogger(__name__)
Row = tuple[str, str, int, str, int]
REBUILD_BATCH = 20_000


@dataclass(frozen=True)
class Progress:
    """How far a rebuild got, and how long the rest should take."""

    rebuild_id: UUID
    generation: int
    status: str
    done: int
    total: int
    started_at: datetime
    result: dict[str, Any]
    now: datetime
    rebuild: Rebuild
    """Who asked for which rules, when and why"""
    reach: Reach
    """The months its version governs, and the later versions that keep theirs"""

    @property
    def rate(self) -> float:
        """Events per second since the rebuild was requested."""
        elapsed = (self.now - self.started_at).total_seconds()
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def remaining_seconds(self) -> float | None:
        if self.status != "running":
            return 0.0
        return (self.total - self.done) / self.rate if self.rate else None


def progress(runtime: Runtime, rebuild_id: UUID) -> Progress:
    rebuild = runtime.app.get_rebuild(rebuild_id)
    view = runtime.view_for(rebuild.generation)
    total = runtime.head
    # Completed: every event was folded before the result was recorded (the
    # events since, its own completion among them, follow as live ones do).
    done = total if rebuild.status == "completed" else runtime.folded_of(view)
    return Progress(
        rebuild_id=rebuild_id,
        generation=rebuild.generation,
        status=rebuild.status,
        done=done,
        total=total,
        started_at=rebuild.created_on,
        result=rebuild.result,
        now=datetime.now(UTC),
        rebuild=rebuild,
        reach=reach_of(runtime.app, rebuild),
    )


def reach_of(app: AppraisalApp, rebuild: Rebuild) -> Reach:
    """What the rebuild's version governs beside the versions in force in the
    generation it replaces: what a preview of its document from its month says."""
    register = app.rules_register()
    document = next(
        p["document"]
        for p in register.publications
        if (p["rulebook_id"], p["version"])
        == (rebuild.rulebook_id, rebuild.rulebook_version)
    )
    return reach(
        register.catalog(rebuild.parent),
        rulebook_of(document, rebuild.rulebook_version),
        Month.parse(rebuild.effective_from),
    )


def start(runtime: Runtime, rebuild_id: UUID) -> bool:
    """Run a rebuild in a background thread of this process, unless one already
    runs it here; return whether a thread was started."""
    with runtime.background_lock:
        running = runtime.background.get(rebuild_id)
        if running is not None and running.is_alive():
            return False
        thread = threading.Thread(
            target=_run_logged, args=(runtime, rebuild_id), daemon=True
        )
        runtime.background[rebuild_id] = thread
        thread.start()
        return True


def _run_logged(runtime: Runtime, rebuild_id: UUID) -> None:
    try:
        run(runtime, rebuild_id)
    except ClosingError:
        logger.info("rebuild %s paused: the process is closing", rebuild_id)
    except Exception:  # a background thread has no caller to tell; resume later
        logger.exception("rebuild %s stopped; resume it to carry on", rebuild_id)


def run(
    runtime: Runtime,
    rebuild_id: UUID,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Build the rebuild's generation up to the head of the log, record the
    result, switch readers to it; return the position of the switch."""
    rebuild = runtime.app.get_rebuild(rebuild_id)
    target = runtime.view_for(rebuild.generation)
    # Larger batches than live catch-up: each batch re-scores the agent-months
    # it touches, so fewer batches mean fewer re-reads of the same ledgers.
    runtime.catch_up(target, batch_size=REBUILD_BATCH, progress=on_progress)
    live = runtime.view
    runtime.catch_up(live)
    reached = runtime.position_of(target)
    rows = target.scorecard_rows()
    before = live.scorecard_rows()
    runtime.deliveries.keep_changes(str(rebuild_id), changed_totals(before, rows))
    summary = (
        summarise(before, rows)
        | _what(rebuild)
        | _governed(reach_of(runtime.app, rebuild), rows)
    )
    position = runtime.app.complete_rebuild(rebuild_id, reached, digest(rows), summary)
    runtime.catch_up(target)
    return position


def _what(rebuild: Rebuild) -> dict[str, Any]:
    return {
        "rulebook": f"{rebuild.rulebook_id} v{rebuild.rulebook_version}",
        "effective_from": rebuild.effective_from,
        "generation": rebuild.generation,
        "replaces_generation": rebuild.parent,
    }


def _governed(reached: Reach, rows: list[Row]) -> dict[str, Any]:
    """The reach, and the months with scorecards the version governs: the only
    months the rebuild can change."""
    months = sorted({Month.parse(month) for _, month, _, _, _ in rows})
    return reach_summary(reached) | {
        "months_governed": [str(m) for m in months if reached.governs(m)]
    }


def digest(rows: list[Row]) -> str:
    """SHA-256 over every scorecard row (agent, month, total, rulebook, version)."""
    return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()


def changed_totals(before: list[Row], after: list[Row]) -> list[dict[str, Any]]:
    """Each agent-month whose total differs, by agent and month, with its
    totals before and after (null: no scorecard)."""
    old = {(a, m): t for a, m, t, _, _ in before}
    new = {(a, m): t for a, m, t, _, _ in after}

    def shown(total: int | None) -> str | None:
        return None if total is None else f"{Decimal(total) * CENT:.2f}"

    return [
        {"agent_id": agent, "month": month, "total_before": shown(old.get(key)),
         "total_after": shown(new.get(key))}
        for key in sorted(old.keys() | new.keys())
        for agent, month in [key]
        if old.get(key) != new.get(key)
    ]  # fmt: skip


def summarise(before: list[Row], after: list[Row]) -> dict[str, Any]:
    """Which agent-months with recorded facts changed total, and the largest moves."""
    old = {(a, m): t for a, m, t, _, _ in before}
    new = {(a, m): t for a, m, t, _, _ in after}
    moves = sorted(
        (
            (Decimal(new.get(key, 0) - old.get(key, 0)) * CENT, key)
            for key in old.keys() | new.keys()
            if old.get(key) != new.get(key)
        ),
        key=lambda move: (-abs(move[0]), move[1]),
    )
    months = sorted({month for _, (_, month) in moves})
    return {
        "agent_months_changed": len(moves),
        "agents_changed": len({agent for _, (agent, _) in moves}),
        "months_changed": months,
        "largest_moves": [
            {"agent_id": agent, "month": month, "delta": str(delta)}
            for delta, (agent, month) in moves[:LARGEST_MOVES]
        ],
    }
