"""Facts in through the API, scorecards and rankings out, on both backends."""

from __future__ import annotations

from decimal import Decimal

from domain.access import Role


def test_complaints_and_a_missed_target_show_on_the_scorecard_and_in_the_ranking(
    department,
):
    department.register("a1", joined_on="2026-01-01")
    department.register("a2")
    for item in ("complaint", "complaint", "target_missed"):
        department.deduct("a1", item, "2026-10-05")

    card = department.admin.get("/agents/a1/scorecards/2026-10")
    assert card.status_code == 200
    business = next(c for c in card.json["categories"] if c["code"] == "business")
    assert (Decimal(business["score"]), Decimal(card.json["total"])) == (39, 89)
    assert Decimal(business["max"]) == 50
    assert card.json["rulebook"] == {"id": "songsong-2019", "version": 1}

    ranking = department.admin.get("/rankings/2026-10")
    assert [
        (e["agent_id"], e["rank"], Decimal(e["total"])) for e in ranking.json["entries"]
    ] == [
        ("a2", 1, 100),
        ("a1", 2, 89),
    ]


def test_every_scorecard_line_names_its_event_and_position(department):
    department.register("a1")
    recorded = department.deduct("a1", "complaint", "2026-10-05", note="rude reply")

    card = department.admin.get("/agents/a1/scorecards/2026-10").json
    (line,) = [line for c in card["categories"] for line in c["lines"]]
    assert line["event_id"] == recorded["event_id"]
    assert line["position"] == recorded["position"]
    assert line["fact_id"] == recorded["deduction_id"]
    assert (line["item"], line["points"], line["recorded_by"]) == (
        "complaint",
        "-3.00",
        "admin",
    )


def test_the_ranking_of_a_team_lists_only_that_team(department):
    department.register("a1", team="t1")
    department.register("b1", team="t2")
    department.deduct("b1", "slow_reply", "2026-10-02")

    entries = department.admin.get("/rankings/2026-10?team=t2").json["entries"]
    assert entries == [
        {
            "agent_id": "b1",
            "name": "Agent b1",
            "team": "t2",
            "rank": 1,
            "total": "99.00",
            "present_days": 18,  # October 2026 has 18 working days
        }
    ]


def test_reads_report_the_position_they_include(department):
    department.register("a1")
    recorded = department.deduct("a1", "complaint", "2026-10-05")

    response = department.admin.get("/agents/a1/scorecards/2026-10")
    assert int(response.headers["Read-Position"]) >= recorded["position"]
    assert response.json["position"] >= recorded["position"]


def test_an_agent_reads_their_own_scorecard_but_not_a_colleagues(department):
    department.register("a1")
    department.register("a2")
    agent = department.client_for("a1", Role.AGENT)

    assert agent.get("/agents/a1/scorecards/2026-10").status_code == 200
    refused = agent.get("/agents/a2/scorecards/2026-10")
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"


def test_a_scorecard_for_a_month_before_the_agent_joined_is_not_found(department):
    department.register("a1", joined_on="2026-11-01")
    response = department.admin.get("/agents/a1/scorecards/2026-10")
    assert response.status_code == 404
    assert "month" in response.json["errors"]
