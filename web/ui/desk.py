"""The supervisor's desk and the reviewer's queue.

The desk (``/ui/desk``): the team's deductions by agent, month, item and
status, each disputable from its line until its month's deadline; the open
disputes and their age; the improvement plans owed, each with its form. The
queue (``/ui/reviews``): open disputes, oldest first; a dispute is resolved
in two steps, the cascade previewed first and shown again once recorded.

Reads go through ``web.ui.desk_reads`` (the API's views); a form posts to
the API view of the same command, with the body its schema loads, so the
same checks refuse the same input, shown field by field beside the form.
Who may open a page is ``web.access``'s rule: another role gets the 403
page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from domain.deduction import NO_OPEN_DISPUTE
from domain.errors import DomainError, NotVisibleError
from web import access, disputes, errors, periods
from web.audit_schemas import DisputedOut, DisputeIn, ResolutionIn, ResolvedOut
from web.context import principal, runtime, settings
from web.cycle_schemas import PlanIn
from web.ui import desk_reads
from web.ui.views import bp

# Statuses a refused form is shown again with; any other refusal is a page.
FORM_STATUSES = frozenset({400, 409, 422})
DISPUTE_FIELDS = ("reason", "evidence")
PLAN_FIELDS = ("why", "actions")
RESOLUTION_FIELDS = ("outcome", "note", "quantity", "points")


def _read(position: int | None = None) -> None:
    """The read models this page reads: at least at ``position`` (what a
    form just recorded, carried to the page it leads to as ``seen``)."""
    seen = request.args.get("seen", "")
    if position is None and seen.isdecimal() and len(seen) < 19:
        position = int(seen)
    if position is not None or request.method == "POST":
        g.read_view, g.read_position = runtime().read(position, settings().read_timeout)


def _problem(error: DomainError | ValidationError) -> tuple[int, dict[str, Any]]:
    """The API's answer to ``error``: its status and problem body."""
    handler: Callable[[Any], Response] = (
        errors.handle_validation_error
        if isinstance(error, ValidationError)
        else errors.handle_domain_error
    )
    problem = handler(error)
    return problem.status_code, json.loads(problem.get_data(as_text=True))


def _fields(names: tuple[str, ...]) -> dict[str, Any]:
    """The posted form's ``names``, as the API's JSON body carries them."""
    return desk_reads.form_fields({k: v for k, v in request.form.items() if k in names})


# The supervisor's desk


@bp.get("/desk")
def desk() -> str:
    access.require(principal(), access.DISPUTE)
    _read()
    return _desk_page()


def _desk_page(refusal: dict[str, Any] | None = None) -> str:
    shown = desk_reads.desk(request.args)
    just = request.args.get("disputed")
    return render_template(
        "pages/desk.html", desk=shown, refusal=refusal, disputed=just,
        planned=request.args.get("planned"),
    )  # fmt: skip


@bp.post("/desk/deductions/<deduction_id>/dispute")
def dispute(deduction_id: str) -> Any:
    """Dispute a deduction from its line: ``POST /deductions/{id}/disputes``."""
    access.require(principal(), access.DISPUTE)
    _read()
    try:
        data = DisputeIn().load(_fields(DISPUTE_FIELDS))
        body, _, _ = access.checked_view(disputes.dispute)(
            data, deduction_id=deduction_id
        )
    except (DomainError, ValidationError) as error:
        return _refused(error, "dispute", deduction_id)
    opened = DisputedOut().dump(body)
    target = url_for(
        ".desk",
        seen=opened["position"],
        disputed=deduction_id,
        **desk_reads.given(request.args),
    )
    return redirect(target + f"#deduction-{deduction_id}", 303)


@bp.post("/desk/plans/<duty_id>")
def submit_plan(duty_id: str) -> Any:
    """Submit an improvement plan: ``POST /improvement-plans/{duty_id}``."""
    access.require(principal(), access.DISPUTE)
    _read()
    try:
        data = PlanIn().load(_fields(PLAN_FIELDS))
        body, _, _ = access.checked_view(periods.submit_plan)(data, duty_id=duty_id)
    except (DomainError, ValidationError) as error:
        return _refused(error, "plan", duty_id)
    target = url_for(
        ".desk", seen=body.position, planned=duty_id, **desk_reads.given(request.args)
    )
    return redirect(target + f"#duty-{duty_id}", 303)


def _refused(error: DomainError | ValidationError, form: str, key: str) -> Any:
    """The desk again, the refused form filled in as it was sent, with the
    API's words beside each field; a refusal that is not the form's (403,
    404) is the API's own page."""
    status, body = _problem(error)
    if status not in FORM_STATUSES:
        raise error
    refusal = {
        "form": form, "key": key, "status": status, "detail": body["detail"],
        "errors": body.get("errors") or {}, "sent": request.form.to_dict(),
    }  # fmt: skip
    return _desk_page(refusal), status


# The reviewer's queue


@bp.get("/reviews")
def reviews() -> str:
    access.require(principal(), access.RESOLVE)
    _read()
    return render_template("pages/reviews.html", queue=desk_reads.queue())


@bp.get("/reviews/<deduction_id>")
def review(deduction_id: str) -> str:
    """One open dispute and the form to resolve it."""
    access.require(principal(), access.RESOLVE)
    _read()
    if desk_reads.dispute(deduction_id) is None:
        raise NotVisibleError(NO_OPEN_DISPUTE, field="deduction_id")
    return _review_page(deduction_id, "form")


def _review_page(
    deduction_id: str,
    stage: str,
    result: dict[str, Any] | None = None,
    refusal: dict[str, Any] | None = None,
) -> str:
    found = desk_reads.dispute(deduction_id) if stage != "resolved" else None
    return render_template(
        "pages/review.html", deduction_id=deduction_id, dispute=found,
        stage=stage, result=result, refusal=refusal,
        names=desk_reads.names(), values=request.form.to_dict(),
    )  # fmt: skip


@bp.post("/reviews/<deduction_id>/preview")
def preview(deduction_id: str) -> Any:
    """What resolving so would do, before anything is recorded."""
    access.require(principal(), access.RESOLVE)
    _read()
    try:
        found = desk_reads.preview(deduction_id, _fields(RESOLUTION_FIELDS))
    except (DomainError, ValidationError) as error:
        return _review_refused(error, deduction_id)
    return _review_page(deduction_id, "preview", found)


@bp.post("/reviews/<deduction_id>/resolve")
def resolve(deduction_id: str) -> Any:
    """Resolve it: ``POST /deductions/{id}/disputes/resolution``; the page
    shows the cascade the API answered."""
    access.require(principal(), access.RESOLVE)
    _read()
    try:
        data = ResolutionIn().load(_fields(RESOLUTION_FIELDS))
        body = access.checked_view(disputes.resolve)(data, deduction_id=deduction_id)
    except (DomainError, ValidationError) as error:
        return _review_refused(error, deduction_id)
    done = ResolvedOut().dump(body)
    _read(done["position"])
    return _review_page(deduction_id, "resolved", done)


def _review_refused(error: DomainError | ValidationError, deduction_id: str) -> Any:
    status, body = _problem(error)
    if status not in FORM_STATUSES:
        raise error
    refusal = {
        "status": status, "detail": body["detail"],
        "errors": body.get("errors") or {},
    }  # fmt: skip
    return _review_page(deduction_id, "form", refusal=refusal), status
