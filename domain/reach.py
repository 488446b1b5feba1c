"""What a rulebook version would govern if it were published from a month.

A month is scored under the version with the latest effective month not after
it, the one published last among equals. A version published now from month F
therefore governs F and every month after it up to the first month a version
already in force takes effect after F; that version, and any after it, keep
their months. A preview and a rebuild of the same document ask this one
question, so they agree on which months change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.month import Month
from domain.register import Catalog, Publication
from domain.rulebook import Rulebook


@dataclass(frozen=True)
class Reach:
    """The months a candidate would govern, and who scores every other month."""

    rulebook: Rulebook
    """The candidate, numbered as the version it would be published as."""
    effective_from: Month
    until: Month | None
    """The first month after ``effective_from`` that a later version in force
    keeps; None when the candidate would govern every month from it on."""
    kept_by: tuple[Publication, ...]
    """The later versions in force that keep their months, in effective order."""
    in_force: Catalog

    def governs(self, month: Month) -> bool:
        return self.effective_from <= month and (
            self.until is None or month < self.until
        )

    def scored_under(self, month: Month) -> Rulebook:
        """The version ``month`` would be scored under once the candidate is in."""
        return self.rulebook if self.governs(month) else self.in_force.for_month(month)

    def last(self) -> Month | None:
        """The last month the candidate would govern; None: no last month."""
        return self.until.previous() if self.until is not None else None

    def keeper(self, month: Month) -> Publication | None:
        """The later version in force that keeps ``month`` from the candidate."""
        if self.until is None or month < self.until:
            return None
        return self.in_force.publication_for(month)

    def warning(self, months: Sequence[Month] | None = None) -> str | None:
        """Says which later versions keep months (of ``months``, if given) that
        the candidate, published from ``effective_from``, will not govern."""
        kept = [m for m in months if self.keeper(m)] if months is not None else None
        if self.until is None or kept == []:
            return None
        keepers = self.kept_by
        if kept is not None:
            keepers = tuple(p for p in keepers if p.effective_from <= kept[-1])
        named = ", ".join(
            f"{p.rulebook_id} v{p.version} (in force from {p.effective_from})"
            for p in keepers
        )
        governed = (
            f"{self.effective_from}"
            if self.last() == self.effective_from
            else f"{self.effective_from} to {self.last()}"
        )
        keep = "keeps" if len(keepers) == 1 else "keep"
        return (
            f"{self.rulebook.ref} would govern only {governed}: {named} {keep} "
            f"the months from {self.until} on"
        )


def reach(in_force: Catalog, rulebook: Rulebook, effective_from: Month) -> Reach:
    """What ``rulebook`` would govern if published (last) from ``effective_from``
    beside the versions of ``in_force``."""
    starts = sorted(
        {
            p.effective_from
            for p in in_force.publications
            if p.effective_from > effective_from
        }
    )
    # Of versions sharing an effective month, only the one published last is in force.
    kept_by = tuple(in_force.publication_for(m) for m in starts)
    return Reach(
        rulebook=rulebook,
        effective_from=effective_from,
        until=starts[0] if starts else None,
        kept_by=kept_by,
        in_force=in_force,
    )
