"""Pages for people, in the same Flask app as the API, under ``/ui/``.

Server-rendered (Jinja) pages that read what the API reads, by calling the
API's own view functions (``web.ui.reads``), in Chinese unless a reader asks
for English. A browser signs in with its bearer token once and then carries
a session cookie (``web.ui.sessions``); the API itself stays bearer-only.
(The package is not called ``web.pages``: that module pages the API's lists.)
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from web.ui import admin, audit_room, desk  # noqa: F401 - their pages join ``bp``
    from web.ui.views import bp

    app.register_blueprint(bp)
