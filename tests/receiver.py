"""A webhook receiver the tests start on 127.0.0.1: a small threading HTTP
server that keeps every request, verifies nothing itself, and answers as told
(fail some requests first, or hang)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers["X-Appraisal-Delivery"]


def verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """What a receiver does: recompute the signature of "{timestamp}.{body}"
    with the shared secret, compare in constant time, refuse old timestamps."""
    timestamp = headers["X-Appraisal-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    given = headers["X-Appraisal-Signature"].removeprefix("sha256=")
    fresh = abs(now - int(timestamp)) <= 300
    return fresh and hmac.compare_digest(expected, given)


class Receiver:
    """Answers ``status`` after failing the first ``failures`` requests with
    500; while ``hang`` is set, holds each request for ``hang_seconds``."""

    def __init__(self, failures: int = 0, status: int = 200) -> None:
        self.received: list[Received] = []
        self.failures = failures
        self.status = status
        self.hang = threading.Event()
        self.hang_seconds = 5.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), body)
                    )
                    failing = receiver.failures > 0
                    receiver.failures -= failing
                if receiver.hang.is_set():
                    time.sleep(receiver.hang_seconds)
                status = 500 if failing else receiver.status
                answer = b'{"errcode": 0}' if status < 300 else b"receiver broke"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the dispatcher gave up waiting
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """The first ``count`` requests, once they have come."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, (
                f"{len(self.received)} of {count} requests came"
            )
            time.sleep(0.02)
        return self.received[:count]
