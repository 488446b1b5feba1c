"""An event the read side cannot fold stalls it at that position, reported in
/health and in reads that wait for a later position, with the projector alive;
it carries on by itself once the cause is fixed. On both backends."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from domain.month import Month
from projections.runtime import Runtime
from tests.clock import service_today
from tests.e2e.commands import wait_until


class Thing(Aggregate):
    """An aggregate of a later release, which this one cannot decode yet."""

    class Happened(Aggregate.Created):
        note: str


def poison(runtime: Runtime, topic: str) -> int:
    """Store an event whose type this release does not know; its position."""
    thing = Thing._create(Thing.Happened, id=uuid4(), note="from the future")
    (event,) = thing.collect_events()
    stored = runtime.app.mapper.to_stored_event(event)
    unknown = type(stored)(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=topic,
        state=stored.state,
    )
    runtime.app.recorder.insert_events([unknown])
    return runtime.head


def test_an_event_that_cannot_be_folded_stalls_the_read_side_until_it_can(
    department, projector
):
    department.register("a1")
    runtime = department.runtime
    later = f"appraisal_later_{uuid4().hex}:Thing.Happened"
    position = poison(runtime, later)
    after = department.deduct("a1", "complaint", service_today().isoformat())

    def plain_get(path: str):  # no Min-Position: read what is there
        token = {"Authorization": f"Bearer {department.admin.token}"}
        return department.admin.client.get(path, headers=token)

    wait_until(lambda: plain_get("/health").status_code == 503,
               timeout=15, what="the stall reported")  # fmt: skip
    assert plain_get("/agents/a1").status_code == 200  # reads go on, as they stand
    health = plain_get("/health")
    assert health.content_type == "application/problem+json"
    assert health.json["code"] == "read_side_stalled"
    assert f"position {position}" in health.json["detail"]
    assert later in health.json["detail"]
    assert health.json["position"] == position - 1  # everything before it is in
    if projector is not None:
        assert projector.thread.is_alive()
    waited = department.admin.get(
        "/agents/a1", headers={"Min-Position": str(after["position"])}
    )
    assert waited.status_code == 503
    assert f"position {position}" in waited.json["detail"]

    register_topic(later, Thing.Happened)  # the release that knows it

    wait_until(lambda: plain_get("/health").status_code == 200,
               timeout=15, what="the read side resuming")  # fmt: skip
    card = department.admin.get(
        f"/agents/a1/scorecards/{Month.of(service_today())}",
        headers={"Min-Position": str(after["position"])},
    )
    assert card.status_code == 200
    assert card.json["total"] == "97.00"
