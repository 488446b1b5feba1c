"""Reads answered again at the same read position (``web.kept_reads``) are never
stale and never shown to someone who may not see them."""

from __future__ import annotations

from decimal import Decimal

from domain.access import Role

READS = (
    "/agents/a1/scorecards/2026-10",
    "/agents/a1/scorecards/2026-10/explain",
    "/rankings/2026-10",
    "/rankings/2026-10?team=t1",
)


def _total(path: str, body: dict) -> Decimal:
    if path.startswith("/rankings"):
        return next(
            Decimal(e["total"]) for e in body["entries"] if e["agent_id"] == "a1"
        )
    return Decimal(body["total"] if "total" in body else body["running_total"])


def test_a_read_repeated_after_a_new_fact_shows_the_fact(department):
    department.register("a1")
    department.register("a2")
    department.deduct("a1", "complaint", "2026-10-05")
    first = {path: department.admin.get(path) for path in READS}
    again = {path: department.admin.get(path) for path in READS}
    for path in READS:
        assert first[path].status_code == again[path].status_code == 200
        assert again[path].json == first[path].json
        assert (
            again[path].headers["Read-Position"] == first[path].headers["Read-Position"]
        )

    department.deduct("a1", "complaint", "2026-10-06")  # the session now waits for it
    for path in READS:
        after = department.admin.get(path)
        assert int(after.headers["Read-Position"]) > int(
            first[path].headers["Read-Position"]
        )
        if "explain" not in path:
            assert _total(path, after.json) == _total(path, first[path].json) - 3


def test_a_kept_answer_is_not_given_to_someone_who_may_not_read_it(department):
    department.register("a1")
    department.register("a2")
    department.deduct("a1", "complaint", "2026-10-05")
    path = "/agents/a1/scorecards/2026-10"
    assert department.admin.get(path).status_code == 200
    colleague = department.client_for("a2", Role.AGENT)
    assert colleague.get(path).status_code in (403, 404)
    assert colleague.get(f"{path}/explain").status_code in (403, 404)
    own = department.client_for("a1", Role.AGENT).get(path)
    assert own.status_code == 200
