"""An API client that reads its own writes the way a real client should, and
holds every answer to the OpenAPI document the app serves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

from domain.access import Role
from projections.runtime import Runtime, StoreConfig
from web import create_app
from web.context import MIN_POSITION


class Session:
    """The last position any client of this test saw; reads wait for it."""

    def __init__(self) -> None:
        self.position = 0


_CONTRACTS: WeakKeyDictionary[Flask, Any] = WeakKeyDictionary()


def conforms(app: Flask, method: str, path: str, response: Any) -> None:
    """The answer is one the app's OpenAPI document allows (status, media
    type, body): schemathesis' own response check."""
    contract = _CONTRACTS.get(app)
    if contract is None:
        spec = app.test_client().get("/openapi.json").json
        contract = _CONTRACTS[app] = schemathesis.openapi.from_dict(spec)
    operation = contract.find_operation_by_path(method, path.partition("?")[0])
    if operation is None:  # not an operation of the document (a 404, a 405)
        return
    try:
        operation.validate_response(response)
    except Exception as error:
        raise AssertionError(
            f"{method} {path} answered {response.status_code} outside the OpenAPI "
            f"document:\n{error}"
        ) from None


class Api:
    def __init__(
        self, client: FlaskClient, session: Session, token: str | None
    ) -> None:
        self.client = client
        self.session = session
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {MIN_POSITION: str(self.session.position)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        response = self.client.open(path, method=method, **kwargs)
        conforms(self.client.application, method, path, response)
        if response.status_code == 201:
            assert "Location" in response.headers, f"{method} {path}: no Location"
            self.session.position = max(
                self.session.position, response.json["position"]
            )
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)


def awaited(api: Api, answer: Any, timeout: float = 60.0) -> Any:
    """The job a ``POST /imports/{kind}`` answered (``202``), once it ended:
    followed at its ``Location``. Later reads wait for what it recorded."""
    assert answer.status_code == 202, answer.get_data(as_text=True)
    deadline = time.monotonic() + timeout
    while True:
        job = api.get(answer.headers["Location"]).json
        if job["status"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, f"the import did not end: {job}"
        time.sleep(0.02)
    if job["result"] is not None:
        session = api.session
        session.position = max(session.position, job["result"]["position"])
    return job


class Department:
    """A test department: an app, its runtime and a client per role."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runtime: Runtime = app.extensions["appraisal"]["runtime"]
        self.session = Session()
        self.anonymous = Api(app.test_client(), self.session, None)
        self.admin = self.client_for("admin", Role.ADMIN)
        self.auditor = self.client_for("auditor", Role.AUDITOR)

    def client_for(self, user: str, role: Role, team: str | None = None) -> Api:
        token = self.runtime.app.issue_token(user, role, team, "test").token
        return Api(self.app.test_client(), self.session, token)

    def event_count(self) -> int:
        return self.runtime.app.recorder.max_notification_id() or 0

    def register(self, agent_id: str, team: str = "t1", **extra: Any) -> Any:
        body = {
            "agent_id": agent_id,
            "name": f"Agent {agent_id}",
            "team": team,
            "supervisor": f"sup-{team}",
            **extra,
        }
        response = self.admin.post("/agents", json=body)
        assert response.status_code == 201, response.json
        return response.json

    def imported(
        self, kind: str, body: str | bytes, content_type: str = "text/csv"
    ) -> Any:
        """What an import did, once its job completed."""
        answer = self.admin.post(
            f"/imports/{kind}", data=body, content_type=content_type
        )
        job = awaited(self.admin, answer)
        assert job["status"] == "completed", job
        return job["result"]

    def deduct(self, agent_id: str, item: str, occurred_on: str, **extra: Any) -> Any:
        body = {"agent_id": agent_id, "item": item, "occurred_on": occurred_on, **extra}
        response = self.admin.post("/deductions", json=body)
        assert response.status_code == 201, response.json
        return response.json


@pytest.fixture
def department(store_config: StoreConfig, projector: Any) -> Iterator[Department]:
    app = create_app(
        {
            "DATABASE_URL": store_config.database_url,
            "POSTGRES_SCHEMA": store_config.postgres_schema,
            "DATA_DIR": store_config.data_dir,
            "READ_TIMEOUT": 10.0,
            "TESTING": True,
        }
    )
    yield Department(app)
    app.extensions["appraisal"]["runtime"].close()
