"""``appraisal deliver`` as a real process: killed in the middle of posting
and started again, it loses nothing; what it sends twice carries the same
delivery id. On both backends."""

from __future__ import annotations

import signal
import time
from uuid import UUID

import pytest

from domain.access import Principal, Role
from domain.month import Month
from domain.webhook_commands import NewWebhook
from projections.runtime import Runtime, StoreConfig
from tests.e2e.commands import clean_env
from tests.receiver import Receiver

ADMIN = Principal("admin", Role.ADMIN)


def _env(config: StoreConfig) -> dict[str, str]:
    settings = {
        "APPRAISAL_DATA_DIR": str(config.data_dir),
        "APPRAISAL_WEBHOOK_TIMEOUT": "2",
        "APPRAISAL_WEBHOOK_FIRST_RETRY": "0.1",
    }
    if config.database_url:
        settings["DATABASE_URL"] = config.database_url
        settings["APPRAISAL_POSTGRES_SCHEMA"] = config.postgres_schema
    return clean_env(**settings)


def _queue_two_moments(config: StoreConfig, url: str) -> Runtime:
    runtime = Runtime(config)
    runtime.app.create_webhook(
        ADMIN, NewWebhook(url=url, kinds=["period.closed", "period.published"])
    )
    runtime.app.close_period(ADMIN, Month.parse("2026-01"))
    runtime.app.publish_period(ADMIN, Month.parse("2026-01"))
    runtime.catch_up()  # the projector's work: the outbox has both
    return runtime


def test_a_dispatcher_killed_mid_delivery_loses_nothing_when_started_again(
    store_config, receiver_hanging, background, workdir
):
    receiver = receiver_hanging
    runtime = _queue_two_moments(store_config, receiver.url)
    try:
        env = _env(store_config)
        first = background("deliver", env=env, cwd=workdir)
        receiver.wait_for(2, timeout=30)  # both posted, neither answered yet
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        receiver.hang.clear()

        background("deliver", env=env, cwd=workdir)
        received = receiver.wait_for(4, timeout=30)  # again, once each claim lapses
        ids = [r.delivery_id for r in received]
        assert len(set(ids)) == 2 and sorted(ids[:2]) == sorted(ids[2:])
        for later in received[2:]:
            (earlier,) = [r for r in received[:2] if r.delivery_id == later.delivery_id]
            assert later.body == earlier.body
        deadline = time.monotonic() + 20
        while True:
            states = runtime.deliveries.states(sorted(set(ids)))
            if all(s.status == "delivered" for s in states.values()):
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.1)
        attempts = runtime.deliveries.attempts_of(sorted(set(ids)))
        # The killed attempts were never recorded; the one that answered was.
        assert [[a.status_code for a in found] for found in attempts.values()] == [
            [200],
            [200],
        ]
        time.sleep(0.5)
        assert len(receiver.received) == 4
        assert all(UUID(i) for i in ids)
    finally:
        runtime.close()


@pytest.fixture
def receiver_hanging():
    running = Receiver()
    running.hang_seconds = 30.0
    running.hang.set()
    yield running
    running.hang.clear()
    running.close()
