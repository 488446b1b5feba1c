"""``appraisal deliver`` against a PostgreSQL server of the test's own that is
stopped while deliveries are in flight and started again: the answers that
came while it was down are not recorded, so those deliveries are sent again
once their claims lapse. The dispatcher keeps running, and
every moment queued before, during and after the restart is delivered, each
under one delivery id with the same body on every attempt."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest

from domain.access import Principal, Role
from domain.month import Month
from domain.webhook_commands import NewWebhook
from projections.deliveries import DELIVERED
from projections.dispatcher import DeliverySettings, Dispatcher
from projections.runtime import Runtime, StoreConfig
from tests.e2e.commands import clean_env
from tests.pgserver import ThrowawayPostgres
from tests.receiver import Receiver

pytestmark = pytest.mark.postgres
ADMIN = Principal("admin", Role.ADMIN)
BEFORE = ["2025-01", "2025-02", "2025-03", "2025-04"]
AFTER = ["2025-05", "2025-06"]


@pytest.fixture
def server() -> Iterator[ThrowawayPostgres]:
    with ThrowawayPostgres() as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.hang_seconds = 1.5
    running.hang.set()  # answers are in flight when the server goes down
    yield running
    running.hang.clear()
    running.close()


def _closed(config: StoreConfig, months: list[str], webhook: str | None) -> str:
    """Close ``months`` (subscribing ``webhook`` first, if given) and fold the
    outbox, as the projector would; the subscription's id."""
    runtime = Runtime(config)
    try:
        made = ""
        if webhook is not None:
            made = str(
                runtime.app.create_webhook(
                    ADMIN, NewWebhook(url=webhook, kinds=["period.closed"])
                ).webhook_id
            )
        for month in months:
            runtime.app.close_period(ADMIN, Month.parse(month))
        runtime.catch_up()
        return made
    finally:
        runtime.close()


def test_a_dispatcher_carries_on_without_loss_across_a_postgresql_restart(
    server, receiver, background, tmp_path, workdir
):
    config = StoreConfig(
        database_url=server.create_database("appraisal"), data_dir=tmp_path / "data"
    )
    webhook_id = _closed(config, BEFORE, receiver.url)
    env = clean_env(
        DATABASE_URL=config.database_url or "",
        APPRAISAL_DATA_DIR=str(config.data_dir),
        APPRAISAL_WEBHOOK_TIMEOUT="3",
        APPRAISAL_WEBHOOK_FIRST_RETRY="0.1",
    )
    dispatcher = background("deliver", env=env, cwd=workdir)
    receiver.wait_for(2, timeout=30)  # posting, no answer recorded yet
    server.stop("immediate")
    time.sleep(receiver.hang_seconds + 3)  # answers come while it is down
    receiver.hang.clear()
    server.start()
    _closed(config, AFTER, None)  # queued after the restart

    runtime = Runtime(config)
    try:
        queued = runtime.view.outbox_of(webhook_id, 100)
        assert len(queued) == len(BEFORE + AFTER)
        ids = sorted(q["delivery_id"] for q in queued)
        deadline = time.monotonic() + 60
        while True:
            states = runtime.deliveries.states(ids)
            if len(states) == len(ids) and all(
                s.status == DELIVERED for s in states.values()
            ):
                break
            assert time.monotonic() < deadline, (states, dispatcher.log.read_text())
            time.sleep(0.1)
    finally:
        runtime.close()
    said = dispatcher.log.read_text()
    assert "store unavailable" in said  # it noticed, and went on
    # What was answered while it was down was sent again, under the same ids.
    assert len(receiver.received) > len(ids)
    assert dispatcher.process.poll() is None  # it never stopped
    bodies = defaultdict(set)
    for request in receiver.received:
        bodies[request.delivery_id].add(request.body)
    assert sorted(bodies) == ids  # every moment arrived; nothing else did
    assert all(len(sent) == 1 for sent in bodies.values())  # the same bytes
    months = sorted(r.json["month"] for r in receiver.received)
    assert sorted(set(months)) == BEFORE + AFTER


def test_an_unreachable_store_is_told_once_when_the_dispatcher_reaches_it_again(
    server, tmp_path
):
    config = StoreConfig(
        database_url=server.create_database("appraisal"), data_dir=tmp_path / "data"
    )
    receiver = Receiver()
    runtime = Runtime(config)
    stop = threading.Event()
    thread: threading.Thread | None = None
    try:
        for url, form, language in (
            (receiver.url + "?f=json", "json", "en"),
            (receiver.url + "?f=wecom", "wecom", "zh-CN"),
        ):
            runtime.app.create_webhook(
                ADMIN, NewWebhook(url=url, kinds=["store.unreachable"],
                                  format=form, language=language),
            )  # fmt: skip
        runtime.catch_up()
        settings = DeliverySettings(
            poll=0.05, first_retry=0.05, schedule_every=0.05, unreachable_after=1.0
        )
        thread = threading.Thread(
            target=Dispatcher(runtime, settings).run, args=(stop,), daemon=True
        )
        thread.start()
        time.sleep(0.5)
        server.stop("immediate")
        time.sleep(3)
        server.start()
        requests = {r.path.partition("=")[2]: r.json
                    for r in receiver.wait_for(2, timeout=30)}  # fmt: skip
        time.sleep(1)
        assert len(receiver.received) == 2  # once for the whole outage
        sent = requests["json"]
        assert sent["kind"] == "store.unreachable" and sent["position"] is None
        assert sent["data"]["seconds"] >= 2
        assert sent["data"]["since"] < sent["data"]["until"]
        assert "could not reach the event store from" in sent["summary"]
        content = requests["wecom"]["markdown"]["content"]
        assert content.startswith("### 事件存储曾无法访问")
        assert f"（{sent['data']['seconds']} 秒）" in content  # noqa: RUF001
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=20)
        runtime.close()
        receiver.close()
