"""Which rules are in force: published rulebook versions and read-model generations.

A rulebook version is published with an effective month. For any month, the
version in force is the one with the latest effective month not after it
(among equal effective months, the one published last). Where nothing was
published, the shipped songsong-2019 version 1 is in force for every month; a
store opened by this release with an empty log records the newer shipped
edition as its first publication instead (``RulesCommands.open_store``).

A version effective from a past month changes scores already seen, so it is
published only through a rebuild: it belongs to a new *generation* of the read
models, built from the whole log beside the live one, which readers switch to
when it is complete. A generation honours the versions published for itself and
for its ancestors, so switching back to an older generation restores exactly
the rules it was built with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError, InvalidFactError
from domain.month import Month
from domain.rulebook import (
    DEFAULT_RULEBOOK_ID,
    Rulebook,
    rulebook_of,
    shipped_document,
)
from domain.text import N_

ROOT_GENERATION = 1
BEGINNING = Month(1, 1)


@dataclass(frozen=True)
class Publication:
    """A published rulebook version, as the register and every view know it."""

    rulebook_id: str
    version: int
    effective_from: Month
    generation: int
    document: Mapping[str, Any]
    sequence: int
    published_by: str = "system"

    def rulebook(self) -> Rulebook:
        return rulebook_of(self.document, self.version)


def default_publication() -> Publication:
    """The shipped default: in force for every month until something replaces it."""
    return Publication(
        rulebook_id=DEFAULT_RULEBOOK_ID,
        version=1,
        effective_from=BEGINNING,
        generation=ROOT_GENERATION,
        document=shipped_document(DEFAULT_RULEBOOK_ID),
        sequence=0,
    )


def next_version(rulebook_id: str, published: Iterable[tuple[str, int]]) -> int:
    """The number the next version of ``rulebook_id`` gets, given the (id,
    version) of every version published in any generation."""
    versions = [version for found, version in published if found == rulebook_id]
    first = 2 if rulebook_id == DEFAULT_RULEBOOK_ID else 1  # v1 is the shipped file
    return max(versions, default=first - 1) + 1


class Catalog:
    """The versions a generation honours, and which is in force for a month."""

    def __init__(
        self, publications: Iterable[Publication], lineage: Iterable[int]
    ) -> None:
        honoured = set(lineage)
        self.publications = sorted(
            (
                p
                for p in [default_publication(), *publications]
                if p.generation in honoured
            ),
            key=lambda p: (p.effective_from, p.sequence),
        )
        self._rulebooks: dict[tuple[str, int], Rulebook] = {}
        self._in_force: dict[Month, Rulebook] = {}  # asked for every fact

    def publication_for(self, month: Month) -> Publication:
        in_force = [p for p in self.publications if p.effective_from <= month]
        return in_force[-1]

    def for_month(self, month: Month) -> Rulebook:
        rulebook = self._in_force.get(month)
        if rulebook is None:
            found = self.publication_for(month)
            key = (found.rulebook_id, found.version)
            if key not in self._rulebooks:
                self._rulebooks[key] = found.rulebook()
            rulebook = self._in_force[month] = self._rulebooks[key]
        return rulebook


class RulesRegister(Aggregate):
    """The one register of rulebook versions and read-model generations."""

    ID = uuid5(NAMESPACE_URL, "appraisal:rules-register")

    @staticmethod
    def create_id() -> UUID:
        return RulesRegister.ID

    class Opened(Aggregate.Created):
        pass

    @event(Opened)
    def __init__(self) -> None:
        self.publications: list[dict[str, Any]] = []
        self.parents: dict[int, int | None] = {ROOT_GENERATION: None}
        self.live = ROOT_GENERATION
        self.building: int | None = None
        self.dropped: list[int] = []
        self.rebuilds: dict[int, UUID] = {}
        """The rebuild that made each generation after the first."""

    # Queries

    def lineage(self, generation: int) -> list[int]:
        chain: list[int] = []
        current: int | None = generation
        while current is not None:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def catalog(self, generation: int | None = None) -> Catalog:
        return Catalog(self._publications(), self.lineage(generation or self.live))

    def _publications(self) -> list[Publication]:
        return [
            Publication(
                rulebook_id=p["rulebook_id"],
                version=p["version"],
                effective_from=Month.parse(p["effective_from"]),
                generation=p["generation"],
                document=p["document"],
                sequence=index + 1,
                published_by=p["published_by"],
            )
            for index, p in enumerate(self.publications)
        ]

    def next_version(self, rulebook_id: str) -> int:
        published = ((p["rulebook_id"], p["version"]) for p in self.publications)
        return next_version(rulebook_id, published)

    # Commands

    def publish(
        self,
        rulebook: Rulebook,
        effective_from: Month,
        published_by: str,
        generation: int,
    ) -> int:
        version = self.next_version(rulebook.id)
        self._published(
            rulebook_id=rulebook.id,
            version=version,
            effective_from=str(effective_from),
            document=dict(rulebook.document),
            generation=generation,
            published_by=published_by,
        )
        return version

    class Published(Aggregate.Event):
        rulebook_id: str
        version: int
        effective_from: str
        document: dict[str, Any]
        generation: int
        published_by: str

    @event(Published)
    def _published(
        self,
        rulebook_id: str,
        version: int,
        effective_from: str,
        document: dict[str, Any],
        generation: int,
        published_by: str,
    ) -> None:
        self.publications.append(
            {
                "rulebook_id": rulebook_id,
                "version": version,
                "effective_from": effective_from,
                "document": document,
                "generation": generation,
                "published_by": published_by,
            }
        )

    def start_generation(self, rebuild_id: UUID) -> int:
        if self.building is not None:
            raise ConflictError(
                N_(
                    "generation {generation} is still being built; finish or "
                    "abandon its rebuild first"
                ),
                generation=self.building,
                field="rebuild",
            )
        generation = max(self.parents) + 1
        self._generation_started(
            generation=generation, parent=self.live, rebuild_id=rebuild_id
        )
        return generation

    class GenerationStarted(Aggregate.Event):
        generation: int
        parent: int
        rebuild_id: UUID

    @event(GenerationStarted)
    def _generation_started(
        self, generation: int, parent: int, rebuild_id: UUID
    ) -> None:
        self.parents[generation] = parent
        self.building = generation
        self.rebuilds[generation] = rebuild_id

    def switch(self, generation: int, by: str, reason: str) -> None:
        if generation not in self.parents or generation in self.dropped:
            raise InvalidFactError(
                N_("there is no generation {generation}"),
                generation=generation,
                field="generation",
            )
        if generation == self.building:
            raise ConflictError(
                N_("generation {generation} is still being built"),
                generation=generation,
                field="generation",
            )
        self._switched(generation=generation, by=by, reason=reason)

    class Switched(Aggregate.Event):
        generation: int
        by: str
        reason: str

    @event(Switched)
    def _switched(self, generation: int, by: str, reason: str) -> None:
        self.live = generation

    def finish_generation(self, generation: int) -> None:
        self._generation_finished(generation=generation)

    class GenerationFinished(Aggregate.Event):
        generation: int

    @event(GenerationFinished)
    def _generation_finished(self, generation: int) -> None:
        if self.building == generation:
            self.building = None

    def drop(self, generation: int, by: str) -> None:
        if generation == self.live or generation == self.building:
            raise ConflictError(
                N_(
                    "generation {generation} is live or being built; it cannot be "
                    "dropped"
                ),
                generation=generation,
                field="generation",
            )
        if generation not in self.parents or generation in self.dropped:
            raise InvalidFactError(
                N_("there is no generation {generation}"),
                generation=generation,
                field="generation",
            )
        self._dropped(generation=generation, by=by)

    class Dropped(Aggregate.Event):
        generation: int
        by: str

    @event(Dropped)
    def _dropped(self, generation: int, by: str) -> None:
        self.dropped.append(generation)
