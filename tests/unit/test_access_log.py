"""The service's access log writes gunicorn's own line, only cheaper."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from gunicorn import glogging
from gunicorn.config import Config

from web.server import AccessLog


class Answer:
    status = "200 OK"
    sent = 17976
    headers = (("Content-Type", "application/json"), ("Read-Position", "42"))


class Asked:
    headers = (("HOST", "127.0.0.1:8000"), ("AUTHORIZATION", "Basic YWxpY2U6cHc="))


ENVIRON = {
    "REQUEST_METHOD": "GET",
    "RAW_URI": "/rankings/2026-10?team=team-01",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "10.0.0.7",
    "PATH_INFO": "/rankings/2026-10",
    "QUERY_STRING": "team=team-01",
    "HTTP_REFERER": "http://pages.example/board",
    "HTTP_USER_AGENT": "curl/8.5.0",
    "HTTP_AUTHORIZATION": "Basic YWxpY2U6cHc=",  # alice
}


@contextmanager
def only_gunicorns_handler(log: glogging.Logger) -> Iterator[None]:
    """The access logger with only the handler gunicorn gave it (pytest joins
    its own capture to every logger while a test runs)."""
    access = log.access_log
    others = [h for h in access.handlers if not getattr(h, "_gunicorn", False)]
    for handler in others:
        access.removeHandler(handler)
    try:
        yield
    finally:
        for handler in list(access.handlers):  # gunicorn's: its file closed
            access.removeHandler(handler)
            handler.close()
        for handler in others:
            access.addHandler(handler)


def logged(logger: type[glogging.Logger], path: Path, environ: dict[str, str]) -> str:
    config = Config()
    config.set("accesslog", str(path))
    log = logger(config)
    with only_gunicorns_handler(log):
        log.access(Answer(), Asked(), environ, datetime.timedelta(microseconds=300))
    return path.read_text()


@pytest.mark.parametrize(
    "environ",
    [
        ENVIRON,
        # no referer, no user agent, a bearer token: dashes
        {
            **{k: v for k, v in ENVIRON.items() if not k.startswith("HTTP_")},
            "HTTP_AUTHORIZATION": "Bearer apr_x",
        },
    ],
)
def test_an_access_line_is_the_one_gunicorn_writes(tmp_path, environ):
    gunicorns = logged(glogging.Logger, tmp_path / "gunicorn.log", environ)
    ours = logged(AccessLog, tmp_path / "ours.log", environ)

    assert ours.count("\n") == 1
    # the same line, but for the second the two were written in
    assert ours.split("[", 1)[0] == gunicorns.split("[", 1)[0]
    assert ours.split("]", 1)[1] == gunicorns.split("]", 1)[1]
    assert ours.split("[", 1)[1][:11] == gunicorns.split("[", 1)[1][:11]  # the day


def test_the_default_line_is_written_without_gunicorns_formatting(
    tmp_path, monkeypatch
):
    def refuse(*args, **kwargs):
        raise AssertionError("gunicorn's access() was called")

    monkeypatch.setattr(glogging.Logger, "access", refuse)

    assert '"GET /rankings/2026-10?team=team-01 HTTP/1.1" 200 17976' in logged(
        AccessLog, tmp_path / "ours.log", ENVIRON
    )


def test_another_access_log_format_is_written_by_gunicorn(tmp_path):
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("access_log_format", "%(m)s %(U)s %(s)s %({read-position}o)s")
    log = AccessLog(config)

    with only_gunicorns_handler(log):
        log.access(Answer(), Asked(), ENVIRON, datetime.timedelta(microseconds=300))

    assert (tmp_path / "access.log").read_text() == "GET /rankings/2026-10 200 42\n"
