"""The command side: one Application whose methods are get -> act -> save,
composed of one mixin per concern."""

from __future__ import annotations

from typing import ClassVar

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
