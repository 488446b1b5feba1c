"""Signing in to the pages, the session cookie and the forms' CSRF tokens.

A person signs in with their bearer token; the service keeps the session
(``projections.sessions``) and the browser an HttpOnly, SameSite=Strict cookie
holding only the session's random id (Secure when the request came over
HTTPS). Each request of a page finds the principal again from the token the
session signed in with, so a token revoked or expired since ends its sessions.

Every form that changes something (POST) carries a CSRF token: a signed-in
form the session's own (kept server-side: the synchronizer token pattern);
the sign-in form, before there is a session, a random value that must also
come back in a cookie of its own (the double-submit pattern; the cookie is
SameSite=Strict, so another site's form cannot send it). The API never reads
these cookies: it is bearer-only (``web.context.authenticate``).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, abort, g, redirect, request, url_for

from domain.access import TOKEN_PREFIX, Principal, TokenRejectedError, hash_token
from domain.text import N_
from projections.sessions import LONGEST, PageSession
from web.context import runtime
from web.i18n import LANG_COOKIE, LANGUAGES

SESSION_COOKIE = "appraisal_session"
CSRF_COOKIE = "appraisal_csrf"
CSRF_FIELD = "csrf_token"
PATH = "/ui"
# Pages a person reaches without being signed in.
OPEN = frozenset({"pages.sign_in"})


class SignInRefusedError(Exception):
    """Raised when a token does not sign anyone in (unknown, expired, revoked)."""

    def __init__(self, template: str, params: dict[str, object] | None = None):
        super().__init__(template)
        self.template = template
        self.params = params or {}


def load() -> Response | None:
    """Before every page: who is signed in; a POST's CSRF token; a person
    not signed in is sent to sign in, and back here after."""
    g.page_session = None
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        _resume(session_id)
    if "principal" not in g and request.endpoint not in OPEN:
        return redirect(url_for("pages.sign_in", next=_here()), 303)
    if request.method == "POST":
        _check_csrf()
    return None


def _resume(session_id: str) -> None:
    found = runtime().page_sessions.find(session_id)
    who: Principal | None = None
    if found is not None:
        try:
            who = runtime().app.principal_of(found.token_hash)
        except TokenRejectedError:
            who = None
    if who is None:
        if found is not None:
            runtime().page_sessions.close(session_id)
        return
    g.principal = who
    g.page_session = found
    runtime().usage.seen(who.token_id)


def _here() -> str:
    query = request.query_string.decode("ascii", "replace")
    return request.path + (f"?{query}" if query else "")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of ours, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith(PATH + "/"):
            return target
    return url_for("pages.ranking")


def _check_csrf() -> None:
    expected = (
        g.page_session.csrf if g.page_session else request.cookies.get(CSRF_COOKIE)
    )
    given = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(400, N_("The form is missing its security token or has expired."))


def csrf_token() -> str:
    """The token the page's forms carry."""
    if g.get("page_session") is not None:
        return str(g.page_session.csrf)
    if "csrf_cookie" not in g:
        g.csrf_cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    return str(g.csrf_cookie)


def sign_in(token: str) -> tuple[str, PageSession]:
    """A new session for whoever ``token`` stands for: a bearer token, or a
    one-time code (``appraisal token code``) standing for one, used up here."""
    given = token.strip()
    if given.startswith(TOKEN_PREFIX):
        token_hash: str | None = hash_token(given)
        unknown = N_("The bearer token is not valid.")
    else:
        token_hash = runtime().sign_in_codes.take(given)
        unknown = N_("The sign-in code is not valid, was used already or expired.")
    try:
        who = runtime().app.principal_of(token_hash) if token_hash else None
    except TokenRejectedError as rejected:
        raise SignInRefusedError(rejected.template, dict(rejected.params)) from None
    if who is None or token_hash is None:
        raise SignInRefusedError(unknown)
    return runtime().page_sessions.open(token_hash)


def sign_out() -> None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        runtime().page_sessions.close(session_id)


def keep(response: Response) -> Response:
    """After every page: the cookies it started, and never a cached copy."""
    if "csrf_cookie" in g and g.csrf_cookie != request.cookies.get(CSRF_COOKIE):
        set_cookie(response, CSRF_COOKIE, g.csrf_cookie)
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and chosen != request.cookies.get(LANG_COOKIE):
        set_cookie(response, LANG_COOKIE, chosen, max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "no-store"
    return response


def set_cookie(
    response: Response, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age if max_age is not None else int(LONGEST.total_seconds()),
        path=PATH,
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )


def forget(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=PATH, secure=request.is_secure, httponly=True,
        samesite="Strict",
    )  # fmt: skip
