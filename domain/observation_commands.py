"""Observations: recorded in batches, known by their natural key, corrected
(part of AppraisalApp)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Recording

from domain.access import Principal
from domain.commands import NewObservation, Observed
from domain.errors import InvalidFactError
from domain.guards import guarded
from domain.observation_values import normalise
from domain.observations import KINDS, Observation, natural_key
from domain.register import Catalog
from domain.roster_commands import RosterCommands
from domain.rules_commands import RulesCommands
from domain.text import N_


class ObservationCommands(RosterCommands, RulesCommands):
    """Observations of every kind."""

    def check_observation(
        self, principal: Principal, kind: str, new: NewObservation
    ) -> dict[str, Any]:
        """Refuse an observation that may not be recorded; return its stored values."""
        if kind not in KINDS:
            raise InvalidFactError(N_("unknown kind {kind!r}"), kind=kind, field="kind")
        agent = self.get_agent(new.agent_id)
        self.check_fact(
            principal, agent, new.occurred_on, self_service=KINDS[kind].self_service
        )
        return normalise(KINDS[kind], new.values)

    @guarded
    def record_observations(
        self,
        principal: Principal,
        kind: str,
        batch: Sequence[NewObservation],
        source: str,
    ) -> list[Observed]:
        """Record a batch in one transaction. A row whose natural key is known
        is unchanged if equal, else recorded as a correction."""
        facts = ((new.agent_id, new.occurred_on) for new in batch)
        with self.reads_once(self.reads_of_facts(facts), shared=True):
            rows = [
                (new, self.check_observation(principal, kind, new)) for new in batch
            ]
        # The rows known already, in one read: a file imported again is then
        # all unchanged without first trying, and failing, to insert it.
        known = self._known_observations(kind, rows)
        try:
            return self._observe(principal, kind, rows, source, known)
        except IntegrityError:
            # Another import recorded some of them meanwhile: read them again.
            known = self._known_observations(kind, rows)
            return self._observe(principal, kind, rows, source, known)

    def _observation_id(
        self, kind: str, new: NewObservation, values: Mapping[str, Any]
    ) -> UUID:
        return Observation.create_id(
            kind, new.agent_id, new.occurred_on, natural_key(KINDS[kind], values)
        )

    def _known_observations(
        self, kind: str, rows: Sequence[tuple[NewObservation, dict[str, Any]]]
    ) -> dict[UUID, Observation]:
        keys = [self._observation_id(kind, new, values) for new, values in rows]
        return self.read_many(list(dict.fromkeys(keys)))

    def _observe(
        self,
        principal: Principal,
        kind: str,
        rows: Sequence[tuple[NewObservation, dict[str, Any]]],
        source: str,
        known: dict[UUID, Observation],
    ) -> list[Observed]:
        touched: dict[UUID, Observation] = {}
        outcomes: list[tuple[str, UUID, int | None]] = []
        for new, values in rows:
            key = self._observation_id(kind, new, values)
            found = touched.get(key) or known.get(key)
            if found is None:
                found = Observation(
                    kind=kind,
                    agent_id=new.agent_id,
                    occurred_on=new.occurred_on,
                    key=natural_key(KINDS[kind], values),
                    values=values,
                    recorded_by=principal.user,
                    source=source,
                )
                outcomes.append(("recorded", key, found.version))
            elif found.correct(values, principal.user, source):
                outcomes.append(("corrected", key, found.version))
            else:
                outcomes.append(("unchanged", key, None))
                continue
            touched[key] = found
        saved = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r
            for r in self.save(*touched.values(), hand_over=True)
        }
        catalog = self.catalog() if saved else None
        return [
            _observed(outcome, key, saved.get((key, version)), self, catalog)
            for outcome, key, version in outcomes
        ]


def _observed(
    outcome: str,
    key: UUID,
    recording: Recording[UUID] | None,
    rules: RulesCommands,
    catalog: Catalog | None,
) -> Observed:
    """What recording one row did, and whether the rules score it."""
    if recording is None:
        return Observed(outcome, key, None)
    judged = rules.verdict_of(recording, catalog)
    position = recording.notification.id
    return Observed(outcome, key, position, judged.scored, judged.reason)
