"""The command side: one Application whose methods are get -> act -> save,
composed of one mixin per concern."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, ClassVar
from uuid import UUID

from domain.deduction_commands import DeductionCommands
from domain.observation_commands import ObservationCommands
from domain.order_commands import OrderCommands
from domain.period_commands import PeriodCommands
from domain.rating_commands import RatingCommands
from domain.register import RulesRegister
from domain.roster_commands import RosterCommands
from domain.rules_commands import RulesCommands
from domain.tokens import TokenCommands
from domain.webhook_commands import WebhookCommands


class AppraisalApp(
    DeductionCommands,
    ObservationCommands,
    OrderCommands,
    RatingCommands,
    RosterCommands,
    PeriodCommands,
    RulesCommands,
    TokenCommands,
    WebhookCommands,
):
    """Records agents, deductions and access tokens as immutable events."""

    name = "Appraisal"
    # The register and the roster are read by nearly every command; cached
    # aggregates are fast-forwarded from the store on each get, never stale.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "1000"}
    # Every read asks which generation is live: kept current with the token.
    ALWAYS_CURRENT = (RulesRegister.ID,)

    log_count: Callable[[], Hashable | None] | None = None
    """Where the event log stands, if this process can tell without reading
    it (``projections.notices``): None when it cannot. What ``current`` kept
    at the same count (and with no write of this process since) is current
    still, and is answered without a read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept_at: dict[UUID, Hashable] = {}
        self._writes = 0

    def current(self, *aggregate_ids: UUID) -> dict[UUID, Any]:
        told = self.log_count() if self.log_count is not None else None
        count = None if told is None else (told, self._writes)
        asked = (*aggregate_ids, *self.ALWAYS_CURRENT)
        kept_at = self._kept_at
        if count is not None and all(kept_at.get(i) == count for i in asked):
            return {i: self._kept[i] for i in aggregate_ids}
        found = super().current(*aggregate_ids)
        if count is not None:  # taken before the read: a change since reads again
            kept_at.update((i, count) for i in asked if i in self._kept)
        return found

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """What this process kept is older than what it writes to a kept
        aggregate (or may be, when a write fails): ``current`` reads it again."""
        try:
            recordings = super().save(*objs, **kwargs)
        except BaseException:
            self._writes += 1
            raise
        kept = self._kept
        if any(r.domain_event.originator_id in kept for r in recordings or ()):
            self._writes += 1
        return recordings
