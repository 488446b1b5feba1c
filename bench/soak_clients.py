"""The load of ``bench.soak``: client threads sending a random mix of
commands and reads, each request timed and recorded as a ``Sample``, none
retried."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any

from domain.clock import company_today

KINDS = ("deduction", "scorecard", "ranking", "health")
WEIGHTS = (4, 3, 2, 1)  # of KINDS, in order
ITEMS = ("complaint", "slow_reply")
FAILURE_PAUSE = 0.1  # seconds a client waits after a failed request


# HTTP


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer
    body: bytes = b""
    error: str | None = None  # the exception when there was no answer

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def cause(self) -> str:
        """What went wrong, in a word or two: the exception, or the status and
        the problem code."""
        if self.status is None:
            return self.error or "no answer"
        if self.status < 400:
            return str(self.status)
        try:
            code = self.json().get("code", "")
        except (ValueError, AttributeError):
            code = ""
        return f"{self.status} {code}".strip()


def call(
    url: str,
    *,
    token: str | None = None,
    body: object = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Answer:
    """GET ``url`` (POST when there is a ``body``); HTTP errors are answers."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Answer(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.read())
    except (OSError, HTTPException) as error:  # URLError, resets, timeouts
        reason = getattr(error, "reason", error)
        return Answer(None, error=type(reason).__name__)


# The load


@dataclass(frozen=True)
class Sample:
    kind: str
    sent: float  # seconds since the load began
    latency: float
    status: int | None
    cause: str
    note: str | None = None

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500


@dataclass
class Load:
    base: str
    token: str
    agents: list[str]
    timeout: float
    began: float = field(default_factory=time.monotonic)
    stop: threading.Event = field(default_factory=threading.Event)
    samples: list[Sample] = field(default_factory=list)  # append is atomic

    def elapsed(self) -> float:
        return time.monotonic() - self.began


class Client:
    """One client thread: a random mix of commands and reads until stopped."""

    def __init__(self, load: Load, seed: int) -> None:
        self.load = load
        self.rng = random.Random(seed)
        self.position = 0  # of this client's last acknowledged deduction

    def run(self) -> None:
        actions = (self.deduction, self.scorecard, self.ranking, self.health)
        while not self.load.stop.is_set():
            self.rng.choices(actions, WEIGHTS)[0]()

    def send(self, kind: str, path: str, note: str | None = None, **how: Any) -> Answer:
        sent = time.monotonic()
        answer = call(
            self.load.base + path,
            token=self.load.token,
            timeout=self.load.timeout,
            **how,
        )
        latency = time.monotonic() - sent
        sample = Sample(
            kind, sent - self.load.began, latency, answer.status, answer.cause, note
        )
        self.load.samples.append(sample)
        if sample.failed:  # a client does not hammer a service that is down
            self.load.stop.wait(FAILURE_PAUSE)
        return answer

    def deduction(self) -> None:
        note = f"soak {uuid.uuid4()}"
        body = {
            "agent_id": self.rng.choice(self.load.agents),
            "item": self.rng.choice(ITEMS),
            "occurred_on": company_today()().isoformat(),
            "note": note,
        }
        answer = self.send("deduction", "/deductions", note=note, body=body)
        if answer.status == 201:
            self.position = max(self.position, int(answer.json()["position"]))

    def scorecard(self) -> None:
        agent = self.rng.choice(self.load.agents)
        headers = {"Min-Position": str(self.position)} if self.position else {}
        path = f"/agents/{agent}/scorecards/{this_month()}"
        self.send("scorecard", path, headers=headers)

    def ranking(self) -> None:
        self.send("ranking", f"/rankings/{this_month()}")

    def health(self) -> None:
        self.send("health", "/health")


def this_month() -> str:
    return company_today()().strftime("%Y-%m")


@contextmanager
def running(load: Load, clients: int, seed: int) -> Iterator[None]:
    """``clients`` client threads for the duration of the block."""
    threads = [
        threading.Thread(target=Client(load, seed + n).run, daemon=True)
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(load.timeout + 5)
