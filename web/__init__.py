"""The thin Flask layer: app factory, blueprints, schemas, auth, errors, CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from domain.text import storable
from web import context, errors, i18n, idempotency, limits, ui
from web.api import Api
from web.config import Settings

API_DESCRIPTION = """\
Monthly KPI scorecards for customer-service teams, derived from immutable facts.

Authenticate with `Authorization: Bearer <token>` (see `appraisal token issue`).
Commands answer with the notification `position` of the event they recorded.
Send `Min-Position: <position>` with a read to wait until the read models include
it; every read answers with `Read-Position`. Errors are `application/problem+json`
with an `errors` object naming each bad field.
"""


class Utf8JSONProvider(DefaultJSONProvider):
    """JSON as UTF-8 with Chinese written as it is, not as escapes such as
    ``\\u4eba``, and the charset said for clients that would guess another (a
    browser on Chinese Windows guesses GBK)."""

    ensure_ascii = False
    mimetype = "application/json; charset=utf-8"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        if storable(text):
            return text
        # an unpaired surrogate has no UTF-8: only its escape can be sent
        return super().dumps(obj, **{**kwargs, "ensure_ascii": True})


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """Build the service. ``config`` holds settings (``DATABASE_URL``,
    ``DATA_DIR``, ...; see ``web.config``) and any Flask configuration."""
    settings, flask_config = _split(config)
    app = Flask(__name__)
    app.json = Utf8JSONProvider(app)
    app.config.update(_flask_defaults())
    app.config.update(flask_config)
    _open_runtime(app, settings)
    app.wsgi_app = limits.RequestLimits(app.wsgi_app, app)  # type: ignore[method-assign]
    api = Api(app, months=settings.months)
    _register_hooks(app, settings)
    _register_blueprints(api)
    ui.register(app)  # the pages: not part of the API or its OpenAPI document
    return app


def _flask_defaults() -> dict[str, Any]:
    """Flask and OpenAPI settings that ``config`` may override."""
    return {
        "API_TITLE": "Appraisal API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Served from this package (web/static/swagger-ui): /docs works offline.
        "OPENAPI_SWAGGER_UI_URL": "/static/swagger-ui/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "API_SPEC_OPTIONS": {
            "info": {"description": API_DESCRIPTION},
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
            },
        },
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "JSON_SORT_KEYS": False,
    }


def _open_runtime(app: Flask, settings: Settings) -> None:
    """The store and read models every request uses, kept with the settings."""
    runtime = settings.open_runtime()
    runtime.follow_notices()  # PostgreSQL: kept between requests until told
    app.extensions[context.EXTENSION] = {"runtime": runtime, "settings": settings}


def _register_hooks(app: Flask, settings: Settings) -> None:
    """Languages, problem answers, sign-in limits, the request context and
    idempotency."""
    i18n.register(app)
    errors.register(app)
    context.limit_failed_sign_ins(app, settings.auth_failures_per_minute)
    context.register(app)
    idempotency.register(app)


def _register_blueprints(api: Api) -> None:
    """Every resource of the API: a blueprint each, with its part of the spec."""
    from web import (
        agents,
        audit,
        deductions,
        disputes,
        health,
        imports,
        observations,
        orders,
        periods,
        ratings,
        rebuilds,
        rulebooks,
        scorecards,
        webhooks,
    )

    for module in (
        health,
        agents,
        deductions,
        observations,
        orders,
        ratings,
        imports,
        scorecards,
        rulebooks,
        rebuilds,
        periods,
        disputes,
        audit,
        webhooks,
    ):
        api.register_blueprint(module.blp)


def _split(
    config: Mapping[str, Any] | Settings | None,
) -> tuple[Settings, dict[str, Any]]:
    """Settings from the environment, overridden by ``config``; the rest is Flask's."""
    if isinstance(config, Settings):
        return config, {}
    names = {f.name for f in fields(Settings)}
    given = dict(config or {})
    overrides = {k.lower(): v for k, v in given.items() if k.lower() in names}
    rest = {k: v for k, v in given.items() if k.lower() not in names}
    return Settings.from_env().updated(overrides), rest
