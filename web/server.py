"""gunicorn as ``appraisal serve`` runs it: every answer is the service's.

A request over the service's limits on the request line and headers is
refused by the service itself (``web.limits``); gunicorn's own limits are set
above those (``GUNICORN_LIMITS``). What gunicorn still refuses before the
service sees it (a request line over 8190 bytes, its hard maximum; a malformed
request) it would answer with an HTML page: this worker writes a problem
document instead, like every other error of the API.

``appraisal serve`` applies ``SETTINGS``; gunicorn started by hand reads the
same from this module: ``gunicorn -c python:web.server 'web:create_app()'``.
"""

from __future__ import annotations

import gc
import json
import socket
import sys
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from domain.text import printable
from web.context import EXTENSION
from web.errors import PROBLEM_JSON, http_code
from web.limits import GUNICORN_LIMITS

__all__ = ["SETTINGS", "ProblemWorker", "write_problem"]

# How long a thread may hold the GIL while another waits for it. Python's 5 ms
# lets a long job of the worker (an import, a catch-up) hold every request up
# 5 ms at each of its dozens of waits on a socket or a statement; 0.5 ms keeps
# the requests beside such a job near their usual latency.
SWITCH_INTERVAL = 0.0005


def write_problem(sock: socket.socket, status: int, reason: str, detail: str) -> None:
    """gunicorn's ``util.write_error``, answering a problem document."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": reason,
            "status": status,
            "detail": printable(detail) or reason,
            "code": http_code(status),
        }
    ).encode("ascii")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


class ProblemWorker(ThreadWorker):
    """gunicorn's threaded worker, writing its own refusals as problems."""

    def init_process(self) -> Any:
        util.write_error = write_problem  # this worker process's error writer
        sys.setswitchinterval(SWITCH_INTERVAL)
        return super().init_process()

    def load_wsgi(self) -> None:
        """Load the service, then leave what it holds for good (modules, the
        application, its schemas and statements: some 110,000 objects) out of
        garbage collection: every full collection walked them all, holding
        every thread of the worker up 50-120 ms."""
        super().load_wsgi()
        gc.collect()
        gc.freeze()


def close_runtime(server: Any, worker: Any) -> None:
    """A worker's last act: stop its background work (an import, a rebuild)
    between two batches, wait for it, and close the store (``Runtime.close``),
    so an import it was running says ``interrupted`` at once."""
    app = getattr(worker, "wsgi", None)  # None in the arbiter
    runtime = getattr(app, "extensions", {}).get(EXTENSION, {}).get("runtime")
    if runtime is not None:
        runtime.close()


SETTINGS: dict[str, Any] = {
    "worker_class": "web.server.ProblemWorker",
    "worker_exit": close_runtime,
    **GUNICORN_LIMITS,
}
# gunicorn's configuration, when it reads this module (``-c python:web.server``).
worker_class = SETTINGS["worker_class"]
worker_exit = close_runtime
limit_request_line = SETTINGS["limit_request_line"]
limit_request_field_size = SETTINGS["limit_request_field_size"]
limit_request_fields = SETTINGS["limit_request_fields"]
