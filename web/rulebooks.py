"""Rulebook versions: publish, list, read, and preview what a change would do."""

from __future__ import annotations

from typing import Any

from domain.errors import DomainError, NotVisibleError
from domain.month import Month
from domain.register import Publication, default_publication
from projections.preview import Preview, preview
from projections.scoreboard import PublicationRecord
from web import access
from web.api import Blueprint, created
from web.context import principal, read_view, runtime
from web.preview_schemas import PreviewOut
from web.schemas import (
    PreviewIn,
    PublishedOut,
    PublishIn,
    RulebookListOut,
    VersionDetailOut,
)

blp = Blueprint("rulebooks", __name__, url_prefix="/rulebooks", description="Rules")
MAX_PREVIEW_MONTHS = 36


@blp.route("", methods=["POST"])
@blp.arguments(PublishIn)
@blp.response(201, PublishedOut)
def publish(data: dict[str, Any]) -> tuple[Any, int, dict[str, str]]:
    """Publish a rulebook version effective from this month or later (admin)."""
    published = runtime().app.publish_rulebook(
        principal(), data["rulebook"], data["effective_from"]
    )
    runtime().after_command()
    return created(
        published,
        "rulebooks.get_version",
        rulebook_id=published.rulebook_id,
        version=published.version,
    )


@blp.route("", methods=["GET"])
@blp.response(200, RulebookListOut)
def list_versions() -> dict[str, Any]:
    """Every published version, and the one in force this month."""
    versions = [_version(r) for r in _records()]
    current = Month.of(runtime().app.today())
    in_force = read_view().catalog().publication_for(current)
    return {
        "versions": versions,
        "in_force": next(v for v in versions if _same(v["publication"], in_force)),
    }


@blp.route("/<rulebook_id>/versions/<int:version>", methods=["GET"])
@blp.response(200, VersionDetailOut)
def get_version(rulebook_id: str, version: int) -> dict[str, Any]:
    """One version with its document."""
    for record in _records():
        found = record.publication
        if (found.rulebook_id, found.version) == (rulebook_id, version):
            return _version(record) | {"document": dict(found.document)}
    raise NotVisibleError(f"No version {version} of {rulebook_id!r}.")


@blp.route("/preview", methods=["POST"])
@blp.arguments(PreviewIn)
@blp.response(200, PreviewOut)
@access.only(access.DEPARTMENT)
def preview_rulebook(data: dict[str, Any]) -> Preview:
    """What a candidate rulebook, published from ``effective_from`` (default
    ``from``), would change in a range of months: only the months it would
    govern, each month's version named (stores nothing)."""
    months = _months(data["from_"], data["to"])
    return preview(read_view(), data["rulebook"], months, data["effective_from"])


def _months(first: Month, last: Month) -> list[Month]:
    """The months from ``first`` to ``last``: a rule across two well-formed
    fields, so a refusal is the service's rule (422 ``rule_violated``)."""
    if last < first:
        raise DomainError("'to' is before 'from'.", field="to")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_PREVIEW_MONTHS:
        raise DomainError(
            f"Preview at most {MAX_PREVIEW_MONTHS} months at a time.", field="to"
        )
    return Month.span(first, last)


def _records() -> list[PublicationRecord]:
    default = default_publication()
    implicit = PublicationRecord(default, honoured=True, published_at=None, position=0)
    return [implicit, *read_view().publications()]


def _same(a: Publication, b: Publication) -> bool:
    return (a.rulebook_id, a.version) == (b.rulebook_id, b.version)


def _version(record: PublicationRecord) -> dict[str, Any]:
    publication = record.publication
    rulebook = publication.rulebook()
    return {
        "publication": publication,
        "rulebook_id": publication.rulebook_id,
        "version": publication.version,
        "name": rulebook.name,
        "effective_from": str(publication.effective_from),
        "generation": publication.generation,
        "honoured": record.honoured,
        "published_by": publication.published_by,
        "published_at": record.published_at,
        "position": record.position,
        "digest": rulebook.digest,
    }
