"""A rebuild: a new generation of the read models, built from the whole log
under a rulebook version that reaches into the past, then switched to."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError
from domain.text import N_


class Rebuild(Aggregate):
    """Who asked to re-derive which months under which version, and what came of it."""

    class Requested(Aggregate.Created):
        class_version = 2
        generation: int
        parent: int
        rulebook_id: str
        version: int
        effective_from: str
        requested_by: str
        reason: str | None
        """Why the rules are re-applied; None for rebuilds requested before
        rebuilds carried a reason."""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reason"] = None

    @event(Requested)
    def __init__(
        self,
        generation: int,
        parent: int,
        rulebook_id: str,
        version: int,
        effective_from: str,
        requested_by: str,
        reason: str | None = None,
        id: UUID | None = None,  # the register names the rebuild before it exists
    ) -> None:
        self.generation = generation
        self.parent = parent
        self.rulebook_id = rulebook_id
        self.rulebook_version = version
        # Stored rebuilds were numbered from the rulebook's version (the
        # aggregate's own ``version``); later events follow on from it.
        self.version = version
        self.effective_from = effective_from
        self.requested_by = requested_by
        self.reason = reason
        self.status = "running"
        self.result: dict[str, Any] = {}

    def _check_running(self) -> None:
        if self.status != "running":
            raise ConflictError(
                N_("the rebuild is already {status}"),
                status=self.status,
                field="rebuild_id",
            )

    def complete(self, position: int, digest: str, summary: dict[str, Any]) -> None:
        self._check_running()
        self._completed(position=position, digest=digest, summary=summary)

    class Completed(Aggregate.Event):
        position: int
        digest: str
        summary: dict[str, Any]

    @event(Completed)
    def _completed(self, position: int, digest: str, summary: dict[str, Any]) -> None:
        self.status = "completed"
        self.result = {"position": position, "digest": digest, "summary": summary}

    def abandon(self, by: str, reason: str) -> None:
        self._check_running()
        self._abandoned(by=by, reason=reason)

    class Abandoned(Aggregate.Event):
        by: str
        reason: str

    @event(Abandoned)
    def _abandoned(self, by: str, reason: str) -> None:
        self.status = "abandoned"
        self.result = {"abandoned_by": by, "reason": reason}
