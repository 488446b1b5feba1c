"""Rulebook versions and read-model generations: published, rebuilt, switched,
dropped (part of AppraisalApp)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Recording

from domain.access import Principal
from domain.app_base import AppraisalBase
from domain.commands import Published, RebuildRequested
from domain.contributions import contribution
from domain.derived import positioned
from domain.errors import InvalidFactError, RebuildNotFoundError
from domain.facts import Place
from domain.month import Month
from domain.rebuild import Rebuild
from domain.register import BEGINNING, Catalog, RulesRegister
from domain.rulebook import FIRST_EDITION, Rulebook, shipped_rulebook
from domain.scoring import Verdict, verdict
from domain.tally import readers
from domain.text import N_


class RulesCommands(AppraisalBase):
    """The rules register and its rebuilds."""

    def current_register(self) -> RulesRegister:
        """The register as it stands, read-only (see ``current``)."""
        found = self.current(RulesRegister.ID).get(RulesRegister.ID)
        return found if found is not None else RulesRegister()

    def rules_register(self) -> RulesRegister:
        try:
            register: RulesRegister = self._read(RulesRegister.ID)
        except AggregateNotFoundError:
            register = RulesRegister()
        return register

    def open_store(self, edition_name: str | None = FIRST_EDITION) -> int | None:
        """On a fresh store (an empty log), record the shipped edition
        ``edition_name`` in force from the first month, as the store's first
        events; answer their position. A store whose log holds anything keeps
        the rules it had (songsong-2019 v1 unless it published others), so
        opening an existing store with a newer release changes no score."""
        if edition_name is None or self.recorder.max_notification_id():
            return None
        register = self.rules_register()
        edition = shipped_rulebook(edition_name)
        register.publish(edition, BEGINNING, "system", register.live)
        try:
            (*_, recording) = self.save(register)
        except IntegrityError:  # another process opened the store first
            return None
        return int(recording.notification.id)

    def verdict_of(
        self, recording: Recording[UUID], catalog: Catalog | None = None
    ) -> Verdict:
        """Whether the rules in force for its month score the fact a command
        recorded, and if not, why (what the scorecard will list as unscored);
        a batch passes the ``catalog`` it read once."""
        contributed = contribution(recording.domain_event)
        if contributed is None:
            return Verdict(False, "it is not a fact about an agent")
        place = Place(
            fact_id="",
            event_id="",
            position=recording.notification.id,
            occurred_on=contributed.occurred_on,
            recorded_by=contributed.recorded_by,
            recorded_at=datetime.min,
        )
        facts = [
            positioned(place, **derived.ledger()) for derived in contributed.derived
        ]
        rules = catalog or self.catalog()
        rulebook = rules.for_month(Month.of(contributed.occurred_on))
        if any(readers(rulebook).plainly_read(fact) for fact in facts):
            return Verdict(True)  # what verdict says, without scoring a month
        return verdict(rulebook, facts)

    def catalog(self) -> Catalog:
        """The rulebook versions the live read models honour."""
        return self.rules_register().catalog()

    def rulebook_for(self, month: Month) -> Rulebook:
        """The rulebook in force for ``month``."""
        return self.catalog().for_month(month)

    def publish_rulebook(
        self, principal: Principal, rulebook: Rulebook, effective_from: Month
    ) -> Published:
        """Publish a version from this month on; past months need a rebuild."""
        self._require_admin(principal, N_("publish rulebooks"))
        self.check_range(effective_from, "effective_from")
        current = Month.of(self.today())
        if effective_from < current:
            raise InvalidFactError(
                N_(
                    "{effective_from} is before the current month {current}; a "
                    "version that reaches into the past is published through a "
                    "rebuild (POST /rebuilds, or appraisal rebuild)"
                ),
                effective_from=effective_from,
                current=current,
                field="effective_from",
            )
        register = self.rules_register()
        version = register.publish(
            rulebook, effective_from, principal.user, register.live
        )
        (*_, recording) = self.save(register)
        return Published(
            rulebook.id,
            version,
            effective_from,
            register.live,
            recording.notification.id,
        )

    def request_rebuild(
        self,
        principal: Principal,
        rulebook: Rulebook,
        effective_from: Month,
        reason: str | None = None,
    ) -> RebuildRequested:
        """Publish a version (past months allowed) into a new generation of the
        read models; the live generation keeps serving until it is complete."""
        self._require_admin(principal, N_("rebuild read models"))
        self.check_range(effective_from, "effective_from")
        register = self.rules_register()
        rebuild_id = uuid4()
        generation = register.start_generation(rebuild_id)
        version = register.publish(rulebook, effective_from, principal.user, generation)
        rebuild = Rebuild(
            id=rebuild_id,
            generation=generation,
            parent=register.parents[generation] or generation,
            rulebook_id=rulebook.id,
            version=version,
            effective_from=str(effective_from),
            requested_by=principal.user,
            reason=reason,
        )
        (*_, recording) = self.save(register, rebuild)
        published = Published(
            rulebook.id, version, effective_from, generation, recording.notification.id
        )
        return RebuildRequested(rebuild_id, generation, published)

    def get_rebuild(self, rebuild_id: UUID) -> Rebuild:
        try:
            rebuild: Rebuild = self.repository.get(rebuild_id)
        except AggregateNotFoundError:
            raise RebuildNotFoundError(
                N_("no rebuild {rebuild_id}"), rebuild_id=rebuild_id, field="rebuild_id"
            ) from None
        if not isinstance(rebuild, Rebuild):
            raise RebuildNotFoundError(
                N_("no rebuild {rebuild_id}"), rebuild_id=rebuild_id, field="rebuild_id"
            )
        return rebuild

    def complete_rebuild(
        self, rebuild_id: UUID, position: int, digest: str, summary: dict[str, Any]
    ) -> int:
        """Record the result and switch readers to the new generation, atomically."""
        rebuild = self.get_rebuild(rebuild_id)
        rebuild.complete(position, digest, summary)
        register = self.rules_register()
        register.finish_generation(rebuild.generation)
        register.switch(rebuild.generation, "system", f"rebuild {rebuild_id} completed")
        (*_, recording) = self.save(rebuild, register)
        return recording.notification.id

    def abandon_rebuild(
        self, principal: Principal, rebuild_id: UUID, reason: str
    ) -> int:
        self._require_admin(principal, N_("abandon rebuilds"))
        rebuild = self.get_rebuild(rebuild_id)
        rebuild.abandon(principal.user, reason)
        register = self.rules_register()
        register.finish_generation(rebuild.generation)
        (*_, recording) = self.save(rebuild, register)
        return recording.notification.id

    def switch_generation(
        self, principal: Principal, generation: int, reason: str
    ) -> int:
        """Point readers at another generation of the read models."""
        self._require_admin(principal, N_("switch read models"))
        register = self.rules_register()
        register.switch(generation, principal.user, reason)
        (*_, recording) = self.save(register)
        return recording.notification.id

    def drop_generation(self, principal: Principal, generation: int) -> int:
        self._require_admin(principal, N_("drop read models"))
        register = self.rules_register()
        register.drop(generation, principal.user)
        (*_, recording) = self.save(register)
        return recording.notification.id
