"""gunicorn as ``appraisal serve`` runs it: every answer is the service's.

A request over the service's limits on the request line and headers is
refused by the service itself (``web.limits``); gunicorn's own limits are set
above those (``GUNICORN_LIMITS``). What gunicorn still refuses before the
service sees it (a request line over 8190 bytes, its hard maximum; a malformed
request) it would answer with an HTML page: this worker writes a problem
document instead, like every other error of the API.

The worker keeps a connection on its thread while the client's next request
follows promptly (``LINGER_SECONDS``) and no other request waits for a thread,
instead of handing it back to gunicorn's main thread after every answer (a
poller registration, a pipe write and two thread switches a request); it
leaves a connection beyond its threads a moment to another worker
(``ACCEPT_PAUSE_SECONDS``), so the workers share the clients; and its access
log writes gunicorn's default line (the combined log format) without the
logging machinery (``AccessLog``).

``appraisal serve`` applies ``SETTINGS``; gunicorn started by hand reads the
same from this module: ``gunicorn -c python:web.server 'web:create_app()'``.
"""

from __future__ import annotations

import gc
import json
import logging
import select
import socket
import sys
import time
import traceback
from typing import Any

from gunicorn import glogging, util
from gunicorn.config import AccessLogFormat
from gunicorn.workers.gthread import ThreadWorker

from domain.text import printable
from web.context import EXTENSION
from web.errors import PROBLEM_JSON, http_code
from web.limits import GUNICORN_LIMITS

__all__ = ["SETTINGS", "AccessLog", "ProblemWorker", "write_problem"]

# How long a thread may hold the GIL while another waits for it. Python's 5 ms
# lets a long job of the worker (an import, a catch-up) hold every request up
# 5 ms at each of its dozens of waits on a socket or a statement; 0.5 ms keeps
# the requests beside such a job near their usual latency.
SWITCH_INTERVAL = 0.0005
# How long a thread that has answered waits for the same client's next request
# before handing the connection back to the main thread's poller. A client
# that sends one request after another (an API client, a page's assets) sends
# the next within a fraction of a millisecond; one that does not costs the
# thread this long, and only when no other request was waiting for it.
LINGER_SECONDS = 0.002
# How long a worker that holds as many connections as it has threads leaves a
# new one to the other workers before accepting it itself. Without it, the
# first worker to wake took most of a burst of new connections, and its
# threads were busy while the other worker's idled.
ACCEPT_PAUSE_SECONDS = 0.002


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
    """gunicorn's threaded worker, writing its own refusals as problems,
    keeping a busy connection on its thread and sharing new connections with
    the other workers."""

    _accept_paused_until = 0.0
    _accept_left = False

    def init_process(self) -> Any:
        util.write_error = write_problem  # this worker process's error writer
        sys.setswitchinterval(SWITCH_INTERVAL)
        return super().init_process()

    def handle(self, conn: Any) -> Any:
        """A request of ``conn``, then each next one the client sends within
        ``LINGER_SECONDS`` while no other connection waits for a thread."""
        keep = super().handle(conn)
        while (
            keep is True
            and self.alive
            and not conn.is_http2
            and self._no_request_waiting()
            and _next_request_within(conn, LINGER_SECONDS)
        ):
            keep = super().handle(conn)
        return keep

    def _no_request_waiting(self) -> bool:
        waiting = getattr(self.tpool, "_work_queue", None)
        return waiting is None or waiting.empty()

    def accept(self, listener: Any) -> None:
        """Accept a connection; one beyond the threads' number only after it
        was left to the other workers for ``ACCEPT_PAUSE_SECONDS``."""
        alone = self.cfg.workers < 2
        if self.nr_conns >= self.cfg.threads and not (alone or self._accept_left):
            self._accept_left = True
            self._accept_paused_until = time.monotonic() + ACCEPT_PAUSE_SECONDS
            super().set_accept_enabled(False)
            return
        self._accept_left = False
        super().accept(listener)

    def set_accept_enabled(self, enabled: bool) -> None:
        if enabled and time.monotonic() < self._accept_paused_until:
            return
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        left = self._accept_paused_until - time.monotonic()
        if left > 0:  # wake to accept again when the pause ends
            timeout = min(timeout, left)
        super().wait_for_and_dispatch_events(timeout)

    def load_wsgi(self) -> None:
        """Load the service, then leave what it holds for good (modules, the
        application, its schemas and statements: some 110,000 objects) out of
        garbage collection: every full collection walked them all, holding
        every thread of the worker up 50-120 ms."""
        super().load_wsgi()
        gc.collect()
        gc.freeze()


def _next_request_within(conn: Any, seconds: float) -> bool:
    """Whether ``conn`` has (or within ``seconds`` receives) bytes to read."""
    if conn.parser is not None and conn.parser.unreader.buf.getvalue():
        return True
    poll = select.poll()
    try:
        poll.register(conn.sock, select.POLLIN)
        return bool(poll.poll(seconds * 1000))
    except (OSError, ValueError):
        return False


def _plain(handler: logging.Handler) -> bool:
    """Whether ``handler`` writes a record's message as it is to a stream (as
    gunicorn's ``accesslog`` handler does)."""
    formatter = handler.formatter
    return (
        type(handler) in (logging.StreamHandler, logging.FileHandler)
        and not handler.filters
        and handler.level <= logging.INFO
        and type(formatter) is logging.Formatter
        and formatter._fmt == "%(message)s"
    )


class AccessLog(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger, writing an access line in its default format (the
    combined log format: address, user, time, request line, status, bytes,
    referer, user agent) itself: gunicorn built a dictionary of every request
    and response header and environ variable for each line, then a log record,
    which cost about a tenth of a kept read's time. Another
    ``access_log_format``, or a handler of the logging configuration that is
    not a plain stream, is written by gunicorn as before."""

    _stamp: tuple[int, str] = (0, "")

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        log = self.access_log
        handlers = log.handlers
        if (
            self.cfg.access_log_format != AccessLogFormat.default
            or log.filters
            or not log.isEnabledFor(logging.INFO)
            or not all(map(_plain, handlers))
        ):
            super().access(resp, req, environ, request_time)
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        line = '%s - %s %s "%s %s %s" %s %s "%s" "%s"\n' % (  # noqa: UP031
            environ.get("REMOTE_ADDR", "-"),
            self._get_user(environ) or "-",
            self._now(),
            environ["REQUEST_METHOD"],
            environ["RAW_URI"],
            environ["SERVER_PROTOCOL"],
            status,
            "-" if sent is None else sent,
            environ.get("HTTP_REFERER", "-"),
            environ.get("HTTP_USER_AGENT", "-"),
        )
        try:
            for handler in handlers:
                with handler.lock:
                    handler.stream.write(line)
                    handler.stream.flush()
        except Exception:  # as gunicorn: an access line never fails a request
            self.error(traceback.format_exc())

    def _now(self) -> str:
        """``now()``, worked out once a second."""
        second = int(time.time())
        stamp = self._stamp
        if stamp[0] != second:
            moment = time.localtime(second)
            stamp = (second, time.strftime("[%d/%b/%Y:%H:%M:%S %z]", moment))
            self._stamp = stamp
        return stamp[1]


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
    "logger_class": "web.server.AccessLog",
    **GUNICORN_LIMITS,
}
# gunicorn's configuration, when it reads this module (``-c python:web.server``).
worker_class = SETTINGS["worker_class"]
worker_exit = close_runtime
logger_class = SETTINGS["logger_class"]
limit_request_line = SETTINGS["limit_request_line"]
limit_request_field_size = SETTINGS["limit_request_field_size"]
limit_request_fields = SETTINGS["limit_request_fields"]
