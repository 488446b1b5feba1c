"""Rulebook versions and read-model generations: published, rebuilt, switched,
dropped (part of AppraisalApp)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.access import Principal
from domain.app_base import AppraisalBase
from domain.commands import Published, RebuildRequested
from domain.errors import InvalidFactError, RebuildNotFoundError
from domain.month import Month
from domain.rebuild import Rebuild
from domain.register import Catalog, RulesRegister
from domain.rulebook import Rulebook


class RulesCommands(AppraisalBase):
    """The rules register and its rebuilds."""

    def rules_register(self) -> RulesRegister:
        try:
            register: RulesRegister = self.repository.get(RulesRegister.ID)
        except AggregateNotFoundError:
            register = RulesRegister()
        return register

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
        self._require_admin(principal, "publish rulebooks")
        self.check_range(effective_from, "effective_from")
        current = Month.of(self.today())
        if effective_from < current:
            raise InvalidFactError(
                f"{effective_from} is before the current month {current}; a version "
                "that reaches into the past is published through a rebuild "
                "(POST /rebuilds, or appraisal rebuild)",
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
        self._require_admin(principal, "rebuild read models")
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
                f"no rebuild {rebuild_id}", field="rebuild_id"
            ) from None
        if not isinstance(rebuild, Rebuild):
            raise RebuildNotFoundError(f"no rebuild {rebuild_id}", field="rebuild_id")
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
        self._require_admin(principal, "abandon rebuilds")
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
        self._require_admin(principal, "switch read models")
        register = self.rules_register()
        register.switch(generation, principal.user, reason)
        (*_, recording) = self.save(register)
        return recording.notification.id

    def drop_generation(self, principal: Principal, generation: int) -> int:
        self._require_admin(principal, "drop read models")
        register = self.rules_register()
        register.drop(generation, principal.user)
        (*_, recording) = self.save(register)
        return recording.notification.id
