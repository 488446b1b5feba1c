"""``appraisal serve`` as clients meet it: its access log, and keep-alive
connections beyond its threads all answered (``web.server``)."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.e2e.commands import Background, serving_demo, wait_until

# gunicorn's default access line: the combined log format.
ACCESS_LINE = re.compile(
    r"^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "
    r'"GET /health\?probe=access-log HTTP/1\.1" 200 \d+ '
    r'"http://referer\.example/" "access-log-probe/1\.0"$',
    re.MULTILINE,
)


@pytest.fixture
def served(
    sqlite_env, data_dir, workdir, background: Callable[..., Background]
) -> Iterator[tuple[str, dict[str, str], Background]]:
    """``appraisal serve`` (one worker of four threads) on the loaded demo."""
    with serving_demo(sqlite_env, data_dir, workdir, background, 20) as found:
        yield found
        assert found[2].terminate() is not None, "the server ignored SIGTERM"


def _connection(base: str) -> http.client.HTTPConnection:
    address = urlsplit(base)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=10)


def test_each_answer_is_written_to_the_access_log_in_the_combined_format(served):
    base, _, server = served
    connection = _connection(base)
    headers = {
        "User-Agent": "access-log-probe/1.0",
        "Referer": "http://referer.example/",
    }

    connection.request("GET", "/health?probe=access-log", headers=headers)
    assert connection.getresponse().read()
    connection.close()

    wait_until(
        lambda: ACCESS_LINE.search(server.output()) is not None,
        5,
        "the request's line in the access log",
        server.process,
        server.log,
    )


def test_more_keep_alive_clients_than_threads_are_each_answered_in_turn(served):
    """Eight clients, each with its next requests already sent (pipelined) on
    its own connection, to a worker of four threads: a thread keeps serving a
    connection whose next request is there, but never while another waits, so
    every client has its first answer before any has all of its answers."""
    base, tokens, _ = served
    address = urlsplit(base)
    request = (
        "GET /rankings/2026-10 HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\n"
        f"Authorization: Bearer {tokens['admin:admin']}\r\n\r\n"
    ).encode()
    clients, requests = 8, 150
    first = [0.0] * clients
    last = [0.0] * clients
    failures: list[BaseException] = []
    ready = threading.Barrier(clients)

    def client(n: int) -> None:
        try:
            with socket.create_connection((address.hostname, address.port), 30) as sock:
                ready.wait()
                sock.sendall(request * requests)
                answers = _answers(sock)
                for count in range(requests):
                    status = next(answers)
                    assert status == 200, status
                    if count == 0:
                        first[n] = time.monotonic()
                last[n] = time.monotonic()
        except BaseException as error:  # reported below, by the test's thread
            failures.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not failures, failures
    assert max(first) < min(last), (first, last)


def _answers(sock: socket.socket) -> Iterator[int]:
    """The status of each answer read from ``sock``, one after another."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            buffer += _received(sock)
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        assert found, head
        length = int(found.group(1))
        while len(buffer) < length:
            buffer += _received(sock)
        buffer = buffer[length:]
        yield int(head.split(None, 2)[1])


def _received(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    assert data, "the server closed the connection"
    return data
