"""No event exists unlinked: each is chained in the transaction that stores it,
so an alteration is found however soon it follows; and the chain is anchored
outside itself, in each published report and in signed checkpoints, so even a
rewrite of both the events and the chain is caught. On both backends."""

from __future__ import annotations

import sqlite3
from datetime import date

import psycopg
import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction
from domain.month import Month
from projections import audit
from projections.chain import GENESIS, link
from projections.runtime import Runtime
from tests.clock import Clock

ADMIN = Principal("admin", Role.ADMIN)
SEP = Month(2026, 9)
KEY = b"a secret kept elsewhere"


@pytest.fixture
def runtime(store_config):
    opened = Runtime(store_config, today=Clock(date(2026, 10, 20)))
    opened.app.register_agents(ADMIN, [NewAgent("a1", "A1", "t1", "s")])
    yield opened
    opened.close()


def record(runtime: Runtime, item: str = "slow_reply") -> int:
    new = NewDeduction("a1", item, date(2026, 9, 15))
    return runtime.app.record_deduction(ADMIN, new).position


def rewrite(runtime: Runtime, position: int, *, rechain: bool) -> None:
    """What someone with the database's superuser does: change a stored
    event (``slow_reply`` to ``leave_day``), optionally recomputing the chain
    from it on so that the two tables agree again."""
    if runtime.config.is_postgres:
        _rewrite_postgres(runtime, position, rechain)
    else:
        _rewrite_sqlite(runtime, position, rechain)


def _rewrite_postgres(runtime: Runtime, position: int, rechain: bool) -> None:
    schema = runtime.config.postgres_schema
    events, chain = f'"{schema}".appraisal_events', f'"{schema}".appraisal_audit_chain'
    guard = "TRIGGER appraisal_events_immutable"
    chain_guard = "TRIGGER appraisal_chain_immutable"
    with psycopg.connect(runtime.config.database_url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {events} DISABLE {guard}")
        text = "convert_from(state, 'UTF8')"
        conn.execute(
            f"UPDATE {events} SET state = convert_to(replace({text}, 'slow_reply', "
            f"'leave_day'), 'UTF8') WHERE notification_id = {position}"
        )
        conn.execute(f"ALTER TABLE {events} ENABLE {guard}")
        if rechain:
            conn.execute(f"ALTER TABLE {chain} DISABLE {chain_guard}")
            for at, digest in _rechained(runtime):
                conn.execute(
                    f"UPDATE {chain} SET hash = %s WHERE position = %s", (digest, at)
                )
            conn.execute(f"ALTER TABLE {chain} ENABLE {chain_guard}")


def _rewrite_sqlite(runtime: Runtime, position: int, rechain: bool) -> None:
    with sqlite3.connect(runtime.config.data_dir / "events.sqlite") as conn:
        conn.execute("DROP TRIGGER stored_events_refuse_update")
        conn.execute(
            "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), "
            f"'slow_reply', 'leave_day') AS BLOB) WHERE rowid = {position}"
        )
    if rechain:
        rows = _rechained(runtime)
        with sqlite3.connect(runtime.config.data_dir / "events.sqlite") as conn:
            conn.execute("DROP TRIGGER audit_chain_refuse_update")
            conn.executemany(
                "UPDATE audit_chain SET hash = ? WHERE position = ?",
                [(digest, at) for at, digest in rows],
            )


def _rechained(runtime: Runtime) -> list[tuple[int, str]]:
    previous, rows = GENESIS, []
    for notification in runtime.app.recorder.select_notifications(None, limit=10**6):
        previous = link(previous, notification)
        rows.append((notification.id, previous))
    return rows


def test_an_event_altered_the_moment_its_command_returns_is_found(runtime):
    position = record(runtime)  # no projector, no verify has run since

    rewrite(runtime, position, rechain=False)

    result = audit.verify(runtime)
    assert not result.ok
    assert result.first_bad["position"] == position
    assert "does not match its hash" in result.first_bad["reason"]


def test_a_report_records_the_chain_head_it_was_issued_at(runtime):
    record(runtime)
    runtime.app.close_period(ADMIN, SEP)
    runtime.app.publish_period(ADMIN, SEP)
    runtime.catch_up()

    (published,) = runtime.view.period(SEP).publications()
    head = published["chain_head"]
    assert head["position"] == published["position"] - 1  # everything before it
    assert runtime.chain.chain_rows(head["position"] - 1, 1) == [
        (head["position"], head["hash"])
    ]
    assert audit.verify(runtime).ok


def test_rewriting_the_events_and_the_chain_together_is_caught_by_the_report(
    runtime,
):
    position = record(runtime)
    runtime.app.close_period(ADMIN, SEP)
    runtime.app.publish_period(ADMIN, SEP)
    runtime.catch_up()

    rewrite(runtime, position, rechain=True)

    result = audit.verify(runtime)
    assert not result.ok
    assert "the 2026-09 report recorded" in result.first_bad["reason"]


def test_a_signed_checkpoint_catches_a_rewrite_of_both_tables(runtime):
    position = record(runtime)
    record(runtime, "late_early")
    checkpoint = audit.Checkpoint.of(KEY, *runtime.app.recorder.chain_head())
    assert checkpoint.problem(runtime, KEY) is None

    rewrite(runtime, position, rechain=True)

    assert audit.verify(runtime).ok  # the two tables agree with each other ...
    problem = checkpoint.problem(runtime, KEY)  # ... but not with the checkpoint
    assert problem is not None and "rewritten" in problem


def test_a_checkpoint_signed_with_another_key_or_altered_is_refused(runtime):
    record(runtime)
    checkpoint = audit.Checkpoint.of(KEY, *runtime.app.recorder.chain_head())
    assert "signature" in checkpoint.problem(runtime, b"another key")
    forged = audit.Checkpoint(checkpoint.position, "0" * 64, checkpoint.signature)
    assert "signature" in forged.problem(runtime, KEY)


def test_a_report_published_before_reports_recorded_the_head_still_reads(runtime):
    """Old ``Published`` events (class version 1, no ``chain_head``) are
    upcast, never rewritten."""
    import json

    from domain.periods import Period

    runtime.app.close_period(ADMIN, SEP)
    period = runtime.app.period(SEP)
    period.publish("admin", date(2026, 10, 20), {"position": 0, "hash": GENESIS})
    (event,) = period.collect_events()
    stored = runtime.app.mapper.to_stored_event(event)
    state = json.loads(stored.state)
    del state["chain_head"], state["class_version"]
    old = type(stored)(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    runtime.app.recorder.insert_events([old])

    assert runtime.app.period(SEP).status.value == "published"
    runtime.catch_up()
    (published,) = runtime.view.period(SEP).publications()
    assert published["chain_head"] is None
    assert audit.verify(runtime).ok
    reread = runtime.app.repository.get(Period.create_id(str(SEP)))
    assert reread.status.value == "published"
