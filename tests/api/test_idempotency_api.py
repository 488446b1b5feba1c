"""A client may send a command again with the same Idempotency-Key and get the
original answer, the command recorded once: after a lost answer, a killed
worker, the store's own retry, or a duplicate racing the original. On both
backends."""

from __future__ import annotations

import threading
from collections import Counter

from eventsourcing.persistence import OperationalError

from domain.access import Role
from tests.api.conftest import awaited
from tests.clock import service_today
from web import create_app

DAY = service_today().replace(day=1).isoformat()
BODY = {"agent_id": "a1", "item": "complaint", "occurred_on": DAY}


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def test_the_same_command_sent_three_times_with_one_key_is_recorded_once(department):
    department.register("a1")
    before = department.event_count()

    answers = [
        department.admin.post("/deductions", json=BODY, headers=keyed("k-1"))
        for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].json == answers[1].json == answers[2].json
    assert answers[1].headers["Location"] == answers[0].headers["Location"]
    assert answers[2].headers["Idempotent-Replayed"] == "true"
    assert department.event_count() == before + 1
    without_key = department.admin.post("/deductions", json=BODY)
    assert without_key.json["deduction_id"] != answers[0].json["deduction_id"]


def test_a_key_reused_for_a_different_request_is_refused_naming_it(department):
    department.register("a1")
    first = department.admin.post("/deductions", json=BODY, headers=keyed("k-2"))
    before = department.event_count()

    other = department.admin.post(
        "/deductions", json={**BODY, "note": "another"}, headers=keyed("k-2")
    )

    assert other.status_code == 422
    assert other.content_type == "application/problem+json"
    assert "Idempotency-Key" in other.json["errors"]
    assert department.event_count() == before
    assert first.status_code == 201


def test_the_same_body_written_differently_is_the_same_request(department):
    department.register("a1")
    spaced = '{ "occurred_on": "DAY",\n "item": "complaint", "agent_id": "a1" }'
    spaced = spaced.replace("DAY", DAY)
    first = department.admin.post(
        "/deductions", data=spaced, content_type="application/json",
        headers=keyed("k-3"),
    )  # fmt: skip
    again = department.admin.post("/deductions", json=BODY, headers=keyed("k-3"))
    assert again.json == first.json


def test_keys_belong_to_their_user(department):
    department.register("a1")
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    mine = department.admin.post("/deductions", json=BODY, headers=keyed("k-4"))
    theirs = supervisor.post("/deductions", json=BODY, headers=keyed("k-4"))
    assert theirs.status_code == 201
    assert theirs.json["deduction_id"] != mine.json["deduction_id"]


def test_a_command_whose_answer_was_lost_answers_the_original_on_retry(department):
    """The worker dies after the commit, before answering: the retry gets what
    was recorded then, and nothing more is recorded."""
    department.register("a1")
    runtime = department.runtime
    before = department.event_count()
    after_command = runtime.after_command

    def killed() -> None:
        raise SystemError("the worker was killed after the commit")

    runtime.after_command = killed
    lost = department.admin.post("/deductions", json=BODY, headers=keyed("k-5"))
    runtime.after_command = after_command
    retried = department.admin.post("/deductions", json=BODY, headers=keyed("k-5"))

    assert lost.status_code == 500
    assert retried.status_code == 201
    assert department.event_count() == before + 1
    found = department.admin.get(f"/deductions/{retried.json['deduction_id']}")
    assert found.status_code == 200
    assert found.json["position"] == retried.json["position"]


def test_the_stores_own_retry_of_an_unacknowledged_commit_is_not_a_conflict(
    department,
):
    """The connection drops after the COMMIT went through: the store tries
    again, meets its own rows, and answers their positions."""
    department.register("a1")
    recorder = department.runtime.app.recorder
    insert = recorder._insert
    dropped: list[bool] = []

    def unacknowledged(events, **kwargs):
        positions = insert(events, **kwargs)
        if not dropped:
            dropped.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return positions

    recorder._insert = unacknowledged
    before = department.event_count()
    try:
        answer = department.admin.post("/deductions", json=BODY)
    finally:
        del recorder._insert

    assert dropped == [True]
    assert answer.status_code == 201, answer.json
    assert answer.json["position"] == department.event_count() == before + 1


def test_duplicates_racing_with_one_key_all_answer_the_one_recorded_command(
    department,
):
    department.register("a1")
    before = department.event_count()
    clients = [department.admin] + [
        department.admin.__class__(
            department.app.test_client(), department.session, department.admin.token
        )
        for _ in range(7)
    ]
    gate = threading.Barrier(len(clients))
    answers = []

    def send(client) -> None:
        gate.wait()
        answers.append(client.post("/deductions", json=BODY, headers=keyed("k-6")))

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(a.status_code for a in answers) == {201: len(clients)}
    assert len({a.json["deduction_id"] for a in answers}) == 1
    assert department.event_count() == before + 1


def test_another_process_on_the_same_store_answers_the_retry(department):
    """The key is in the store, not in a process's memory."""
    department.register("a1")
    first = department.admin.post("/deductions", json=BODY, headers=keyed("k-7"))
    runtime = department.runtime
    other = create_app(
        {
            "DATABASE_URL": runtime.config.database_url,
            "POSTGRES_SCHEMA": runtime.config.postgres_schema,
            "DATA_DIR": runtime.config.data_dir,
            "TESTING": True,
        }
    )
    try:
        token = {"Authorization": f"Bearer {department.admin.token}"}
        again = other.test_client().post(
            "/deductions", json=BODY, headers={**token, **keyed("k-7")}
        )
    finally:
        other.extensions["appraisal"]["runtime"].close()
    assert again.status_code == 201
    assert again.json == first.json


def test_a_key_that_is_not_printable_ascii_is_a_400(department):
    department.register("a1")
    before = department.event_count()
    for bad in ("", "with space", "x" * 256, "ключ"):
        answer = department.admin.post(
            "/deductions", json=BODY, headers={"Idempotency-Key": bad}
        )
        assert answer.status_code == 400, bad
        assert "Idempotency-Key" in answer.json["errors"]
    assert department.event_count() == before


def test_every_command_documents_the_header(department):
    spec = department.anonymous.get("/openapi.json").json
    commands = [
        (path, method)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("post", "delete")
    ]
    assert commands
    for path, method in commands:
        names = [p["name"] for p in spec["paths"][path][method].get("parameters", [])]
        assert "Idempotency-Key" in names, (method, path)


def test_a_keyed_import_larger_than_a_command_body_is_streamed_and_replayed(
    department,
):
    """Imports stream files far larger than other bodies: a key does not make
    the service read one whole (it would refuse it as too large)."""
    department.register("a1")
    rows = "".join(f"a1,{DAY},C-{n},normal,,late reply\n" for n in range(20))
    body = "agent_id,date,complaint,severity,order_no,description\n" + rows
    department.app.config["MAX_CONTENT_LENGTH"] = 200  # smaller than the file
    try:
        first = department.admin.post(
            "/imports/complaints", data=body, content_type="text/csv",
            headers=keyed("k-import"),
        )  # fmt: skip
        again = department.admin.post(
            "/imports/complaints", data=body, content_type="text/csv",
            headers=keyed("k-import"),
        )  # fmt: skip
    finally:
        department.app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    assert first.status_code == 202, first.get_data(as_text=True)
    assert again.json == first.json  # the same job, not a second one
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert awaited(department.admin, first)["result"]["recorded"] == 20
