"""Deductions: recorded in batches, disputed and resolved (part of AppraisalApp)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.access import Principal
from domain.agent import Agent
from domain.app_base import creation
from domain.commands import (
    DisputeOpened,
    NewDeduction,
    NewDispute,
    Recorded,
    Resolution,
)
from domain.deduction import Deduction
from domain.errors import (
    ConflictError,
    DeductionNotFoundError,
    InvalidFactError,
    NotPermittedError,
)
from domain.guards import guarded
from domain.month import Month
from domain.periods import dispute_deadline
from domain.roster_commands import RosterCommands
from domain.rulebook import Occurrence, Rulebook
from domain.rules_commands import RulesCommands
from domain.scoring import Verdict
from domain.text import N_


class DeductionCommands(RosterCommands, RulesCommands):
    """Deductions, checked against the rulebook of their month, and their disputes."""

    def record_deduction(self, principal: Principal, new: NewDeduction) -> Recorded:
        (recorded,) = self.record_deductions(principal, [new])
        # A deduction is refused unless its item is a rule item of its month.
        return recorded.judged(Verdict(True))

    @guarded
    def record_deductions(
        self, principal: Principal, batch: Sequence[NewDeduction]
    ) -> list[Recorded]:
        """Record many deductions in one transaction: all of them or none."""
        facts = ((new.agent_id, new.occurred_on) for new in batch)
        with self.reads_once(self.reads_of_facts(facts), shared=True):
            return self._record_deductions(principal, batch)

    def _record_deductions(
        self, principal: Principal, batch: Sequence[NewDeduction]
    ) -> list[Recorded]:
        agents: dict[str, Agent] = {}
        deductions = []
        catalog = self.catalog()
        for new in batch:
            if new.agent_id not in agents:
                agents[new.agent_id] = self.get_agent(new.agent_id)
            rulebook = catalog.for_month(Month.of(new.occurred_on))
            self._check_deduction(principal, agents[new.agent_id], rulebook, new)
            deductions.append(
                creation(
                    Deduction,
                    Deduction.Recorded,
                    new.deduction_id,
                    agent_id=new.agent_id,
                    item=new.item,
                    occurred_on=new.occurred_on,
                    quantity=new.quantity,
                    note=new.note,
                    evidence_ref=new.evidence_ref,
                    severity=new.severity,
                    recorded_by=principal.user,
                )
            )
        try:
            recordings = self.save(*deductions)
        except IntegrityError:
            raise ConflictError(
                N_("a deduction with this id is already recorded"), field="deduction_id"
            ) from None
        return [Recorded.of(r) for r in recordings]

    def _check_deduction(
        self, principal: Principal, agent: Agent, rulebook: Rulebook, new: NewDeduction
    ) -> None:
        self.check_fact(principal, agent, new.occurred_on)
        item = rulebook.item(new.item)
        if not isinstance(item, Occurrence) or item.points > 0:
            raise InvalidFactError(
                N_("{item!r} is not a deduction item of {rulebook}"),
                item=new.item,
                rulebook=rulebook.ref,
                field="item",
            )
        if new.severity is not None and item.severity(new.severity) is None:
            known = ", ".join(s.code for s in item.severities) or "none"
            raise InvalidFactError(
                N_("{item!r} has no severity {severity!r} (known: {known})"),
                item=new.item,
                severity=new.severity,
                known=known,
                field="severity",
            )
        if item.once_per_month and new.quantity != 1:
            raise InvalidFactError(
                N_("{item!r} counts once a month; quantity must be 1"),
                item=new.item,
                field="quantity",
            )

    def get_deduction(self, deduction_id: UUID) -> Deduction:
        try:
            found = self.repository.get(deduction_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, Deduction):
            raise DeductionNotFoundError(
                N_("no deduction {deduction_id}"),
                deduction_id=deduction_id,
                field="deduction_id",
            )
        return found

    @guarded
    def dispute_deduction(self, principal: Principal, new: NewDispute) -> DisputeOpened:
        """The supervisor of the agent's team (or an admin) disputes a deduction,
        by the end of the review window of its month (or the rulebook's days)."""
        deduction = self.get_deduction(new.deduction_id)
        agent = self.get_agent(deduction.agent_id)
        if not (principal.may_dispute and principal.may_record_for(agent.team)):
            raise NotPermittedError(
                N_("only the supervisor of team {team!r} may dispute this deduction"),
                team=agent.team,
            )
        month = Month.of(deduction.occurred_on)
        deadline = self.dispute_deadline(month)
        if self.today() > deadline:
            raise InvalidFactError(
                N_("deductions of {month} could be disputed until {deadline}"),
                month=month,
                deadline=deadline,
                field="deduction_id",
            )
        self.period(month).refuse_facts()
        number = deduction.dispute(
            principal.user,
            new.reason,
            new.evidence,
            new.proposed_quantity,
            new.proposed_points,
            new.reviewer,
        )
        (recording,) = self.save(deduction)
        recorded = Recorded.of(recording, id=f"{deduction.id}:{number}")
        return DisputeOpened(**vars(recorded), number=number, deadline=deadline)

    def dispute_deadline(self, month: Month) -> date:
        days = self.rulebook_for(month).dispute_days
        return dispute_deadline(month, days, self.is_working_day)

    @guarded
    def resolve_dispute(self, principal: Principal, resolution: Resolution) -> Recorded:
        """An admin, or the reviewer the dispute named, resolves it; never the
        disputer. Overturning or adjusting changes the month's scores."""
        (recording,) = self.save(self.resolved(principal, resolution))
        return Recorded.of(recording)

    def resolved(self, principal: Principal, resolution: Resolution) -> Deduction:
        """The deduction with ``resolution`` applied, checked as resolving it
        is, and not saved: what ``resolve_dispute`` records, and what a preview
        of the resolution scores (its pending event)."""
        deduction = self.get_deduction(resolution.deduction_id)
        open_dispute = deduction.open_dispute
        named = open_dispute["reviewer"] if open_dispute else None
        if not principal.may_resolve(named):
            raise NotPermittedError(
                N_("{user} may not resolve this dispute"), user=principal.user
            )
        if resolution.outcome != "upheld":
            self.period(Month.of(deduction.occurred_on)).refuse_facts()
        deduction.resolve(
            principal.user,
            resolution.outcome,
            resolution.note,
            resolution.quantity,
            resolution.points,
        )
        return deduction
