"""Webhooks: subscriptions through the API, the outbox the projector folds,
and the dispatcher posting to receivers started on 127.0.0.1; on both backends."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.utils import register_topic

from domain.access import Role
from domain.month import Month
from domain.rulebook import shipped_document
from projections.dispatcher import DeliverySettings, Dispatcher
from projections.runtime import Runtime, StoreConfig
from tests.api.test_read_side_api import Thing, poison
from tests.clock import Clock, service_today
from tests.e2e.commands import wait_until
from tests.receiver import Receiver, verify

PAST = "2026-01"  # a month that has ended: it can be closed and published
DAY = service_today().isoformat()  # disputes are filed within the review window
MONTH = str(Month.of(service_today()))
FAST = DeliverySettings(timeout=1.0, first_retry=0.05, longest_retry=0.2, poll=0.02)


class Dispatching:
    """``appraisal deliver`` in a thread of the test, with its own runtime."""

    def __init__(self, config: StoreConfig, settings: DeliverySettings) -> None:
        self.stop = threading.Event()
        self.runtime = Runtime(config)
        self.dispatcher = Dispatcher(self.runtime, settings)
        self.thread = threading.Thread(
            target=self.dispatcher.run, args=(self.stop,), daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=20)
        self.runtime.close()


@pytest.fixture
def dispatch(store_config: StoreConfig) -> Iterator[Callable[..., Dispatching]]:
    started: list[Dispatching] = []

    def start(**settings: Any) -> Dispatching:
        running = Dispatching(store_config, DeliverySettings(**(vars(FAST) | settings)))
        started.append(running)
        return running

    yield start
    for running in started:
        running.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def office(department):
    """Agents a1 (team t1) and b1 (team t2), a deduction of each."""
    department.register("a1", team="t1", joined_on="2020-01-06")
    department.register("b1", team="t2", joined_on="2020-01-06")
    return department


def subscribe(department, url: str, kinds: list[str], **extra: Any) -> dict[str, Any]:
    body = {"url": url, "kinds": kinds, "secret": "s3cret-s3cret-s3cret", **extra}
    answer = department.admin.post("/webhooks", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def dispute(department, agent_id: str, team: str) -> str:
    deduction = department.deduct(agent_id, "complaint", DAY)["deduction_id"]
    supervisor = department.client_for(f"sup-{team}", Role.SUPERVISOR, team)
    answer = supervisor.post(f"/deductions/{deduction}/disputes", json={"reason": "x"})
    assert answer.status_code == 201, answer.json
    return deduction


def command(client, path: str, **kwargs: Any) -> dict[str, Any]:
    answer = client.request(kwargs.pop("method", "POST"), path, **kwargs)
    assert answer.status_code == 200, answer.json
    client.session.position = max(client.session.position, answer.json["position"])
    return answer.json


def deliveries(department, webhook_id: str) -> list[dict[str, Any]]:
    answer = department.admin.get(f"/webhooks/{webhook_id}/deliveries")
    assert answer.status_code == 200, answer.json
    return answer.json["deliveries"]


def settled(department, webhook_id: str, count: int, timeout: float = 20.0):
    """The subscription's deliveries once ``count`` of them are no longer
    pending."""
    deadline = time.monotonic() + timeout
    while True:
        found = deliveries(department, webhook_id)
        done = [d for d in found if d["status"] != "pending"]
        if len(done) >= count:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def test_each_kind_is_delivered_once_signed_with_links_a_receiver_can_verify(
    office, receiver, dispatch
):
    kinds = ["dispute.filed", "dispute.resolved", "period.closed", "period.published"]
    webhook = subscribe(office, receiver.url, kinds, language="en")
    dispatch()
    deduction = dispute(office, "a1", "t1")
    resolved = office.admin.post(
        f"/deductions/{deduction}/disputes/resolution", json={"outcome": "upheld"}
    )
    assert resolved.status_code == 200, resolved.json
    office.session.position = resolved.json["position"]
    for step in ("close", "publish"):
        command(office.admin, f"/periods/{PAST}/{step}")

    receiver.wait_for(4)
    time.sleep(0.3)  # nothing more comes
    # Deliveries go out side by side, in no set order: each carries its position.
    received = sorted(receiver.received, key=lambda r: r.json["position"])
    assert [r.json["kind"] for r in received] == kinds
    secret = "s3cret-s3cret-s3cret"
    for request in received:
        assert verify(secret, request.headers, request.body, time.time())
        assert not verify(
            "another-secret-16", request.headers, request.body, time.time()
        )
        assert request.headers["Idempotency-Key"] == request.delivery_id
        assert request.headers["X-Appraisal-Event"] == request.json["kind"]
        assert request.json["delivery_id"] == request.delivery_id
        assert request.json["webhook_id"] == webhook["webhook_id"]
    assert [r.json["month"] for r in received] == [MONTH, MONTH, PAST, PAST]
    filed = received[0].json
    assert filed["agent_id"] == "a1" and filed["team"] == "t1"
    assert filed["data"]["deduction_id"] == deduction
    assert filed["links"] == {
        "scorecard": f"/agents/a1/scorecards/{MONTH}",
        "dispute": f"/deductions/{deduction}/disputes/1",
    }
    assert "disputed deduction" in filed["summary"]
    assert received[1].json["data"]["outcome"] == "upheld"
    assert received[3].json["links"]["rankings"] == f"/rankings/{PAST}"
    shown = settled(office, webhook["webhook_id"], 4)
    assert {d["status"] for d in shown} == {"delivered"}
    assert [d["position"] for d in shown] == sorted(
        (d["position"] for d in shown), reverse=True
    )
    for shown_delivery in shown:
        (attempt,) = shown_delivery["attempts"]
        assert attempt["status_code"] == 200
        assert attempt["excerpt"] == '{"errcode": 0}'
        assert attempt["latency_ms"] >= 0


def test_a_subscription_is_not_sent_what_happened_before_it(office, receiver, dispatch):
    dispute(office, "a1", "t1")
    webhook = subscribe(office, receiver.url, ["dispute.filed", "period.closed"])
    dispatch()
    command(office.admin, f"/periods/{PAST}/close")
    (request,) = receiver.wait_for(1)
    time.sleep(0.3)
    assert len(receiver.received) == 1
    assert request.json["kind"] == "period.closed"
    assert len(deliveries(office, webhook["webhook_id"])) == 1


def test_retries_reach_a_receiver_that_fails_twice_under_one_delivery_id(
    office, receiver, dispatch
):
    receiver.failures = 2
    webhook = subscribe(office, receiver.url, ["period.closed"])
    dispatch()
    command(office.admin, f"/periods/{PAST}/close")
    requests = receiver.wait_for(3)
    assert len({r.delivery_id for r in requests}) == 1
    assert len({r.body for r in requests}) == 1  # the same bytes each time
    (shown,) = settled(office, webhook["webhook_id"], 1)
    assert shown["status"] == "delivered"
    assert [a["status_code"] for a in shown["attempts"]] == [500, 500, 200]
    assert [a["number"] for a in shown["attempts"]] == [1, 2, 3]
    assert shown["attempts"][0]["excerpt"] == "receiver broke"


def test_a_delivery_fails_after_its_attempts_and_an_admin_redelivers_it(
    office, receiver, dispatch
):
    receiver.failures = 100
    webhook = subscribe(office, receiver.url, ["period.closed"])
    dispatch(max_attempts=3)
    command(office.admin, f"/periods/{PAST}/close")
    (shown,) = settled(office, webhook["webhook_id"], 1)
    assert shown["status"] == "failed"
    assert len(shown["attempts"]) == 3
    receiver.failures = 0
    path = f"/webhooks/{webhook['webhook_id']}/deliveries/{shown['delivery_id']}"
    again = office.admin.post(f"{path}/redeliver")
    assert again.status_code == 200, again.json
    assert again.json["status"] == "pending"
    deadline = time.monotonic() + 20
    while deliveries(office, webhook["webhook_id"])[0]["status"] != "delivered":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (shown,) = deliveries(office, webhook["webhook_id"])
    assert [a["status_code"] for a in shown["attempts"]] == [500, 500, 500, 200]
    assert len({r.delivery_id for r in receiver.received}) == 1


def test_a_hanging_receiver_times_out_and_never_slows_the_api(
    office, receiver, dispatch
):
    receiver.hang.set()
    receiver.hang_seconds = 3.0
    webhook = subscribe(office, receiver.url, ["dispute.filed"])
    dispatch(timeout=0.5, max_attempts=1)
    dispute(office, "a1", "t1")
    receiver.wait_for(1)  # the dispatcher is waiting on the receiver now
    started = time.monotonic()
    office.deduct("a1", "complaint", DAY)
    assert office.admin.get("/agents/a1").status_code == 200
    assert time.monotonic() - started < 0.5
    (shown,) = settled(office, webhook["webhook_id"], 1)
    assert shown["status"] == "failed"
    (attempt,) = shown["attempts"]
    assert attempt["status_code"] is None
    assert "timed out" in attempt["error"]
    assert 400 <= attempt["latency_ms"] < 2500


def test_a_paused_subscription_receives_nothing_until_resumed(
    office, receiver, dispatch
):
    webhook = subscribe(office, receiver.url, ["period.closed", "period.published"])
    dispatch()
    path = f"/webhooks/{webhook['webhook_id']}"
    command(office.admin, f"{path}/pause")
    assert office.admin.get(path).json["status"] == "paused"
    command(office.admin, f"/periods/{PAST}/close")
    time.sleep(0.5)
    assert receiver.received == []
    (held,) = deliveries(office, webhook["webhook_id"])
    assert held["status"] == "pending" and held["attempts"] == []
    command(office.admin, f"{path}/resume")
    command(office.admin, f"/periods/{PAST}/publish")
    requests = receiver.wait_for(2)
    kinds = sorted(r.json["kind"] for r in requests)
    assert kinds == ["period.closed", "period.published"]
    again = office.admin.post(f"{path}/resume")
    assert again.status_code == 409


def test_a_team_filter_sends_only_that_teams_moments_and_the_departments(
    office, receiver, dispatch
):
    subscribe(office, receiver.url, ["dispute.filed", "period.closed"], team="t2")
    dispatch()
    dispute(office, "a1", "t1")
    dispute(office, "b1", "t2")
    command(office.admin, f"/periods/{PAST}/close")
    receiver.wait_for(2)
    time.sleep(0.3)
    requests = sorted(receiver.received, key=lambda r: r.json["position"])
    assert [(r.json["kind"], r.json["agent_id"]) for r in requests] == [
        ("dispute.filed", "b1"),
        ("period.closed", None),
    ]
    assert requests[0].json["team"] == "t2"


def test_wecom_and_dingtalk_get_group_bot_markdown_in_chinese(
    office, receiver, dispatch
):
    subscribe(office, receiver.url + "?bot=wecom", ["dispute.filed"], format="wecom")
    subscribe(
        office, receiver.url + "?bot=dingtalk", ["dispute.filed"], format="dingtalk"
    )
    dispatch()
    deduction = dispute(office, "a1", "t1")
    requests = {r.path.partition("=")[2]: r.json for r in receiver.wait_for(2)}
    wecom, dingtalk = requests["wecom"], requests["dingtalk"]
    assert wecom["msgtype"] == "markdown" and set(wecom) == {"msgtype", "markdown"}
    content = wecom["markdown"]["content"]
    assert content.startswith("### 扣分申诉")
    assert "提出申诉" in content and "Agent a1 (a1)" in content
    assert f"/agents/a1/scorecards/{MONTH}" in content
    assert f"/deductions/{deduction}/disputes/1" in content
    assert dingtalk["msgtype"] == "markdown"
    assert dingtalk["markdown"]["title"] == "扣分申诉"
    assert dingtalk["markdown"]["text"] == content


def test_subscriptions_are_listed_with_their_secret_masked_and_deleted(office):
    made = subscribe(office, "https://hooks.example.com/a", ["period.closed"])
    assert made["secret"] == "s3cret-s3cret-s3cret"
    generated = office.admin.post(
        "/webhooks", json={"url": "http://example.com/b", "kinds": ["period.closed"]}
    ).json
    assert generated["secret"].startswith("whsec_") and len(generated["secret"]) > 30
    listed = office.admin.get("/webhooks").json["webhooks"]
    assert [w["webhook_id"] for w in listed] == [
        made["webhook_id"],
        generated["webhook_id"],
    ]
    assert all(w["secret"].endswith(x["secret"][-4:]) for w, x in
               zip(listed, (made, generated), strict=True))  # fmt: skip
    assert all("s3cret-s3cret" not in str(w) for w in listed)
    path = f"/webhooks/{made['webhook_id']}"
    command(office.admin, path, method="DELETE")
    assert office.admin.get(path).status_code == 404
    assert office.admin.post(f"{path}/pause").status_code == 404
    assert len(office.admin.get("/webhooks").json["webhooks"]) == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://example.com/x", "kinds": ["period.closed"]}, "url"),
        ({"url": "http://example.com/x", "kinds": ["nope"]}, "kinds.0"),
        ({"url": "http://example.com/x", "kinds": []}, "kinds"),
        ({"url": "http://example.com/x", "kinds": ["period.closed"],
          "secret": "short"}, "secret"),
        ({"url": "http://example.com/x", "kinds": ["period.closed"],
          "format": "slack"}, "format"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("store_config", ["sqlite"], indirect=True)
def test_a_bad_subscription_is_refused_naming_the_field(department, body, field):
    answer = department.admin.post("/webhooks", json=body)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]


def test_a_resolved_dispute_carries_its_cascade_as_the_api_answered_it(
    department, receiver, dispatch
):
    department.register("a1")
    department.register("a2")
    subscribe(department, receiver.url + "?f=json", ["dispute.resolved"], language="en")
    subscribe(department, receiver.url + "?f=wecom", ["dispute.resolved"],
              format="wecom")  # fmt: skip
    dispatch()
    deduction = department.deduct("a1", "complaint", DAY)["deduction_id"]
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    filed = supervisor.post(f"/deductions/{deduction}/disputes", json={"reason": "x"})
    assert filed.status_code == 201, filed.json
    resolved = department.admin.post(
        f"/deductions/{deduction}/disputes/resolution", json={"outcome": "overturned"}
    )
    assert resolved.status_code == 200, resolved.json
    answered = {c["agent_id"]: c for c in resolved.json["cascade"]}

    requests = {r.path.partition("=")[2]: r.json for r in receiver.wait_for(2)}
    sent = {c["agent_id"]: c for c in requests["json"]["data"]["cascade"]}
    assert sent.keys() == answered.keys() and "a1" in sent
    for agent_id, change in sent.items():
        api = answered[agent_id]
        assert (change["total_before"], change["total_after"]) == (
            api["before"]["total"], api["after"]["total"]
        )  # fmt: skip
        assert (change["rank_before"], change["rank_after"]) == (
            api["before"]["rank"], api["after"]["rank"]
        )  # fmt: skip
        for move in ("top_of_month", "rewarded", "bottom"):
            assert change[move] == api[move]
    a1 = sent["a1"]
    assert (a1["rank_before"], a1["rank_after"], a1["delta"]) == (2, 1, "3.00")
    assert a1["agent_name"] == "Agent a1"
    said = (
        f"Agent a1 (a1): total {a1['total_before']} → {a1['total_after']}, rank 2 → 1"
    )
    assert said in requests["json"]["summary"]
    content = requests["wecom"]["markdown"]["content"]
    assert "### 申诉已裁决" in content
    assert (
        f"- Agent a1 (a1)：总分 {a1['total_before']} → {a1['total_after']}，排名 2 → 1"  # noqa: RUF001
        in content
    )


def test_a_published_month_carries_its_top_places_and_bottom_group(
    department, receiver, dispatch
):
    for agent_id in ("a1", "a2", "a3", "a4", "a5", "a6", "a7"):
        department.register(agent_id, joined_on="2020-01-06")
    for agent_id in ("a5", "a6", "a7", "a7"):
        department.deduct(agent_id, "complaint", f"{PAST}-15")
    subscribe(department, receiver.url + "?f=json", ["period.published"],
              language="en")  # fmt: skip
    subscribe(department, receiver.url + "?f=dingtalk", ["period.published"],
              format="dingtalk")  # fmt: skip
    dispatch()
    for step in ("close", "publish"):
        command(department.admin, f"/periods/{PAST}/{step}")
    ranking = department.admin.get(f"/rankings/{PAST}").json
    totals = {e["agent_id"]: e["total"] for e in ranking["entries"]}

    requests = {r.path.partition("=")[2]: r.json for r in receiver.wait_for(2)}
    data = requests["json"]["data"]
    assert [(a["agent_id"], a["rank"]) for a in data["top"]] == [
        ("a1", 1), ("a2", 1), ("a3", 1), ("a4", 1)
    ]  # fmt: skip
    assert [a["agent_id"] for a in data["bottom"]] == ["a5", "a6", "a7"]
    assert {a["agent_id"]: a["total"] for a in data["top"] + data["bottom"]} == totals
    assert data["bottom"][2]["agent_name"] == "Agent a7"
    assert data["bottom"][2]["team"] == "t1"
    summary = requests["json"]["summary"]
    assert f"Bottom group: Agent a5 (a5) {totals['a5']}, " in summary
    text = requests["dingtalk"]["markdown"]["text"]
    assert f"- 末位组：Agent a5 (a5) {totals['a5']}、" in text  # noqa: RUF001
    assert f"- 前列：Agent a1 (a1) {totals['a1']}、" in text  # noqa: RUF001


def health_when(department, wanted: Callable[[dict[str, Any]], bool]):
    """/health once ``wanted`` holds of it (the projector folds meanwhile)."""
    deadline = time.monotonic() + 20
    while True:
        answer = department.anonymous.get("/health")
        assert answer.status_code == 200, answer.json
        if wanted(answer.json):
            return answer.json
        assert time.monotonic() < deadline, answer.json
        time.sleep(0.05)


def test_health_shows_the_delivery_backlog_and_is_degraded_past_its_threshold(
    office, receiver, dispatch
):
    extension = office.app.extensions["appraisal"]
    extension["settings"] = replace(extension["settings"], webhook_backlog_seconds=1)
    owed = subscribe(office, receiver.url, ["period.closed"])
    held = subscribe(office, receiver.url + "?held", ["period.closed"])
    command(office.admin, f"/webhooks/{held['webhook_id']}/pause")
    quiet = health_when(office, lambda h: h["webhooks"]["pending"] == 0)
    assert quiet["status"] == "ok" and quiet["webhooks"]["failing"] == []
    assert quiet["webhooks"]["oldest_pending_seconds"] is None

    command(office.admin, f"/periods/{PAST}/close")  # no dispatcher is running
    waiting = health_when(office, lambda h: h["webhooks"]["pending"] > 0)
    assert waiting["webhooks"]["pending"] == 1  # the paused one's is held, not owed
    time.sleep(1.1)
    late = office.anonymous.get("/health").json
    assert late["status"] == "degraded" and late["webhooks"]["behind"] is True
    assert late["webhooks"]["oldest_pending_seconds"] > 1
    assert late["webhooks"]["threshold_seconds"] == 1

    receiver.failures = 100
    dispatch(max_attempts=2)
    (shown,) = settled(office, owed["webhook_id"], 1)
    assert shown["status"] == "failed"
    failed = office.anonymous.get("/health").json
    assert failed["status"] == "ok" and failed["webhooks"]["pending"] == 0
    assert failed["webhooks"]["failing"] == [
        {"webhook_id": owed["webhook_id"], "url": receiver.url, "failed": 1,
         "retrying": 0}
    ]  # fmt: skip


def test_a_rebuild_that_changes_totals_sends_each_agent_months_old_and_new_total(
    department, receiver, dispatch
):
    for agent in ("a1", "a2", "a3"):
        department.register(agent, joined_on="2020-01-06")
    department.register("b1", team="t2", joined_on="2020-01-06")
    for agent, day in (("a1", "2026-08-10"), ("a2", "2026-09-10"),
                       ("a2", "2026-09-11"), ("a3", "2026-10-02")):  # fmt: skip
        department.deduct(agent, "complaint", day)
    subscribe(department, receiver.url + "?f=json", ["scores.changed"], language="en")
    subscribe(department, receiver.url + "?f=wecom", ["scores.changed"],
              format="wecom")  # fmt: skip
    subscribe(department, receiver.url + "?f=t2", ["scores.changed"], team="t2")
    dispatch()
    before = {m: ranked(department, m) for m in ("2026-09", "2026-10")}
    document = copy.deepcopy(shipped_document("songsong-2019"))
    for item in document["categories"][1]["items"]:
        if item["code"] == "complaint":
            item["points"] = "-5"
    started = department.admin.post(
        "/rebuilds", json={"rulebook": document, "effective_from": "2026-09"}
    )
    assert started.status_code == 202, started.json
    rebuild_id = started.json["rebuild_id"]

    requests = {r.path.partition("=")[2]: r.json for r in receiver.wait_for(3)}
    sent = requests["json"]
    assert sent["kind"] == "scores.changed" and sent["data"]["rebuild_id"] == rebuild_id
    after = {m: ranked(department, m) for m in ("2026-09", "2026-10")}
    assert [
        (c["agent_id"], c["month"], c["total_before"], c["total_after"])
        for c in sent["data"]["changes"]
    ] == [
        ("a2", "2026-09", before["2026-09"]["a2"], after["2026-09"]["a2"]),
        ("a3", "2026-10", before["2026-10"]["a3"], after["2026-10"]["a3"]),
    ]
    assert sent["data"]["changes"][0]["agent_name"] == "Agent a2"
    assert sent["links"] == {"rebuild": f"/rebuilds/{rebuild_id}"}
    assert "changed 2 agent-month totals" in sent["summary"]
    a2 = sent["data"]["changes"][0]
    assert (
        f"Agent a2 (a2) 2026-09: {a2['total_before']} → {a2['total_after']}"
        in (sent["summary"])
    )
    content = requests["wecom"]["markdown"]["content"]
    assert content.startswith("### 成绩已变更") and "2 个客服月度总分有变化" in content
    assert "- Agent a3 (a3) 2026-10：" in content  # noqa: RUF001
    assert requests["t2"]["data"]["changes"] == []  # nobody of t2 moved


def ranked(department, month: str) -> dict[str, str]:
    entries = department.admin.get(f"/rankings/{month}").json["entries"]
    return {e["agent_id"]: e["total"] for e in entries}


def test_plan_reminders_are_queued_once_each_by_the_service_clock_across_restarts(
    department, receiver, store_config
):
    for agent_id in ("a1", "a2", "a3", "a4", "a5", "a6", "a7"):
        department.register(agent_id, joined_on="2020-01-06")
    for agent_id in ("a5", "a6", "a7", "a7"):
        department.deduct(agent_id, "complaint", f"{PAST}-15")
    kinds = ["plan.due", "plan.overdue"]
    subscribe(department, receiver.url + "?f=json", kinds, language="en")
    subscribe(department, receiver.url + "?f=wecom", kinds, format="wecom")
    for step in ("close", "publish"):
        command(department.admin, f"/periods/{PAST}/{step}")
    owed = department.admin.get("/improvement-plans?status=all").json["duties"]
    assert sorted(d["agent_id"] for d in owed) == ["a5", "a6", "a7"]
    duty = {d["agent_id"]: d["duty_id"] for d in owed}
    due_on = date.fromisoformat(owed[0]["due_on"])
    clock = Clock(due_on - timedelta(days=1))
    settings = replace(FAST, schedule_every=0.05)

    def started() -> tuple[threading.Event, threading.Thread, Runtime]:
        runtime = Runtime(store_config, today=clock)
        stop = threading.Event()
        thread = threading.Thread(
            target=Dispatcher(runtime, settings).run, args=(stop,), daemon=True
        )
        thread.start()
        return stop, thread, runtime

    def stopped(running: tuple[threading.Event, threading.Thread, Runtime]) -> None:
        running[0].set()
        running[1].join(timeout=20)
        running[2].close()

    def sent(kind: str, form: str = "json") -> list[dict[str, Any]]:
        return [
            r.json
            for r in receiver.received
            if r.headers["X-Appraisal-Event"] == kind and r.path.endswith(form)
        ]

    running = started()
    time.sleep(0.5)
    assert receiver.received == []  # the day before: nothing is due
    clock.today = due_on
    receiver.wait_for(6)
    assert sorted(r["agent_id"] for r in sent("plan.due")) == ["a5", "a6", "a7"]
    first = next(r for r in sent("plan.due") if r["agent_id"] == "a5")
    assert first["data"]["duty_id"] == duty["a5"]
    assert first["links"]["plan"] == f"/improvement-plans/{duty['a5']}"
    assert first["summary"] == (
        f"sup-t1's improvement plan for Agent a5 (a5) ({PAST}) is due today, "
        f"{due_on.isoformat()}."
    )
    (zh,) = [r for r in sent("plan.due", "wecom") if "Agent a5" in str(r)]
    assert zh["markdown"]["content"].startswith("### 改进计划今日到期")
    plan = {"why": "late", "actions": "coaching"}
    submitted = department.admin.post(f"/improvement-plans/{duty['a5']}", json=plan)
    assert submitted.status_code == 201, submitted.json
    department.session.position = submitted.json["position"]

    stopped(running)  # a restart between the two days
    clock.today = due_on + timedelta(days=1)
    running = started()
    receiver.wait_for(10)
    assert sorted(r["agent_id"] for r in sent("plan.overdue")) == ["a6", "a7"]
    assert "has not been submitted" in sent("plan.overdue")[0]["summary"]
    (zh,) = [r for r in sent("plan.overdue", "wecom") if "Agent a6" in str(r)]
    assert "至今未提交" in zh["markdown"]["content"]
    stopped(running)

    running = started()  # restarted the same day, and the next: nothing again
    time.sleep(0.5)
    clock.today = due_on + timedelta(days=2)
    time.sleep(0.5)
    stopped(running)
    assert len(receiver.received) == 10
    assert len({r.delivery_id for r in receiver.received}) == 10


def test_a_stalled_projector_is_told_once_per_incident_in_both_languages(
    department, receiver, dispatch
):
    department.register("a1")
    kinds = ["projector.stalled"]
    hook = subscribe(department, receiver.url + "?f=json", kinds, language="en")
    subscribe(department, receiver.url + "?f=dingtalk", kinds, format="dingtalk")
    dispatch(schedule_every=0.05)
    runtime = department.runtime
    later = f"appraisal_later_{uuid4().hex}:Thing.Happened"
    position = poison(runtime, later)
    department.deduct("a1", "complaint", DAY)  # folding stops at the poison
    requests = {r.path.partition("=")[2]: r for r in receiver.wait_for(2)}
    time.sleep(0.5)  # the dispatcher looks again and again: nothing more
    assert len(receiver.received) == 2
    sent = requests["json"].json
    assert sent["kind"] == "projector.stalled" and sent["position"] is None
    assert sent["data"]["position"] == position
    assert sent["data"]["topic"] == later and sent["links"] == {"health": "/health"}
    assert f"stalled at position {position} ({later})" in sent["summary"]
    text = requests["dingtalk"].json["markdown"]["text"]
    assert text.startswith("### 读取端已停滞") and f"停在位置 {position}" in text

    register_topic(later, Thing.Happened)  # the release that knows it
    health = department.anonymous.client  # no Min-Position: as things stand
    wait_until(lambda: health.get("/health").status_code == 200,
               timeout=15, what="the stall over")  # fmt: skip
    again = f"appraisal_later_{uuid4().hex}:Thing.Happened"
    poison(runtime, again)  # another incident
    department.deduct("a1", "complaint", DAY)
    receiver.wait_for(4)
    time.sleep(0.5)
    assert len(receiver.received) == 4
    second = [r.json for r in receiver.received[2:] if r.path.endswith("json")]
    assert [r["data"]["topic"] for r in second] == [again]
    register_topic(again, Thing.Happened)
    department.deduct("a1", "complaint", DAY)  # the read side carries on
    wait_until(lambda: health.get("/health").status_code == 200,
               timeout=15, what="the stall over")  # fmt: skip
    shown = settled(department, hook["webhook_id"], 2)
    assert [(d["kind"], d["status"], d["position"]) for d in shown] == [
        ("projector.stalled", "delivered", 0)
    ] * 2


def test_a_moment_about_the_service_still_owed_counts_in_the_backlog(
    department, receiver, dispatch
):
    department.register("a1")
    receiver.failures = 100
    hook = subscribe(department, receiver.url, ["projector.stalled"])
    dispatch(schedule_every=0.05, first_retry=30.0, longest_retry=30.0)
    later = f"appraisal_later_{uuid4().hex}:Thing.Happened"
    poison(department.runtime, later)
    department.deduct("a1", "complaint", DAY)
    receiver.wait_for(1)  # refused; tried again in 15 to 30 s
    time.sleep(0.2)
    health = department.anonymous.client.get("/health").json  # 503: the stall
    assert health["webhooks"]["pending"] == 1
    assert 0 <= health["webhooks"]["oldest_pending_seconds"] < 15
    assert health["webhooks"]["failing"] == [
        {"webhook_id": hook["webhook_id"], "url": receiver.url, "failed": 0,
         "retrying": 1}
    ]  # fmt: skip
    register_topic(later, Thing.Happened)
