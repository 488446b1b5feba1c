"""Answers in the request's language: English or Simplified Chinese (zh-CN).

``Accept-Language`` chooses, by its weights; without one (API clients, scripts)
the answer is English, the language the API always answered in. Messages are
English templates (``"{day} is in the future"``) marked with ``N_`` or raised
as a domain error's ``template`` and ``params``; the Flask-Babel catalogue in
``web/translations`` translates the template, which is then formatted. A
message that arrives already formatted (marshmallow's, werkzeug's) is matched
against the catalogue's templates to find its own.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import read_mo
from flask import Flask, Response, has_request_context, request
from flask.globals import _cv_request
from flask_babel import Babel, get_locale, get_translations
from marshmallow import fields
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from domain.text import N_, Message, bilingual

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT = "en"
# What Accept-Language may ask for, and the catalogue that answers it. Any
# other Chinese (zh-TW, zh-Hant) falls back to "zh": Simplified is the only
# Chinese there is. Babel names zh-CN by its script (CLDR's zh_Hans_CN), and
# looks for the catalogue under that name.
ZH_CN = "zh_Hans_CN"
LANGUAGES = {"en": "en", "zh-CN": ZH_CN, "zh": ZH_CN, "zh-Hans": ZH_CN}
CONTENT_LANGUAGE = {"en": "en", ZH_CN: "zh-CN"}
# The blueprint of the pages, and the cookie their language switch sets.
PAGES = "pages"
LANG_COOKIE = "lang"

# Problem titles: the status phrases of RFC 9110 (Python's HTTPStatus).
TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    406: N_("Not Acceptable"),
    409: N_("Conflict"),
    413: N_("Request Entity Too Large"),
    414: N_("Request-URI Too Long"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Entity"),
    429: N_("Too Many Requests"),
    431: N_("Request Header Fields Too Large"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}

# Messages of the libraries, as they write them (a test checks they still do).
WERKZEUG = (
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_(
        "The requested URL was not found on the server. If you entered the URL "
        "manually please check your spelling and try again."
    ),
    N_("The method is not allowed for the requested URL."),
    N_(
        "The resource identified by the request is only capable of generating "
        "response entities which have content characteristics not acceptable "
        "according to the accept headers sent in the request."
    ),
    N_("The data value transmitted exceeds the capacity limit."),
    N_(
        "The length of the requested URL exceeds the capacity limit for this "
        "server. The request cannot be processed."
    ),
    N_("The server does not support the media type transmitted in the request."),
    N_(
        "The server encountered an internal error and was unable to complete your "
        "request. Either the server is overloaded or there is an error in the "
        "application."
    ),
)
MARSHMALLOW = (
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Invalid type."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid time."),
    N_("Not a valid naive datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid UUID."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid period of time."),
    N_('"{input}" cannot be formatted as a date.'),
    N_('"{input}" cannot be formatted as a datetime.'),
    N_("String does not match expected pattern."),
    N_("Must be one of: {choices}."),
    N_("Must be equal to {other}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
)


def register(app: Flask) -> None:
    Babel(
        app,
        default_locale=DEFAULT,
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=select_locale,
    )
    app.after_request(content_language)


def select_locale() -> Locale:
    """The best of our languages by ``Accept-Language``; English without it.
    Pages (``web.ui``) are for people in Chinese departments: Chinese unless
    the language switch (``?lang=``, then the ``lang`` cookie it sets) or
    ``Accept-Language`` prefers English."""
    if request.blueprint == PAGES:
        chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
        best = chosen if chosen in LANGUAGES else None
        best = best or request.accept_languages.best_match(list(LANGUAGES))
        return _locale(LANGUAGES.get(best or "zh-CN", ZH_CN))
    return _api_locale(request.headers.get("Accept-Language"))


@lru_cache(maxsize=256)
def _api_locale(accept_language: str | None) -> Locale:
    """The API's language for an ``Accept-Language`` header, worked out once
    per header (a client sends the same one with every request)."""
    accepted = parse_accept_header(accept_language, LanguageAccept)
    best = accepted.best_match(list(LANGUAGES))
    return _locale(LANGUAGES.get(best or DEFAULT, DEFAULT))


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def language() -> str:
    """The request's language as a tag (``en``, ``zh-CN``); ``en`` outside one.
    Kept on the request: an answer's every localized field asks for it."""
    ctx = _cv_request.get(None)
    if ctx is None:
        return DEFAULT
    tag: str | None = getattr(ctx, "appraisal_language", None)
    if tag is None:
        tag = CONTENT_LANGUAGE.get(str(get_locale()), DEFAULT)
        ctx.appraisal_language = tag  # type: ignore[attr-defined]
    return tag


def content_language(response: Response) -> Response:
    response.headers["Content-Language"] = language()
    response.vary.add("Accept-Language")
    return response


def translate(template: str, params: Mapping[str, Any] | None = None) -> str:
    """``template`` in the request's language, formatted with ``params``; a
    parameter that is itself a marked phrase (``N_("close periods")``) is
    translated too, and so is one that is a ``Message`` of its own."""
    if not params:
        return localize(template)
    translated = _gettext(template)
    values = {k: _translated(v) for k, v in params.items()}
    try:
        return translated.format(**values)
    except (KeyError, IndexError, ValueError):  # a catalogue that does not fit
        return template.format(**params)


def _translated(value: Any) -> Any:
    if isinstance(value, Message):
        return translate(value.template, value.params)
    return _gettext(value) if isinstance(value, str) else value


def localize(message: str) -> str:
    """A message already formatted, in the request's language: its template is
    found in the catalogue (exactly, or by the text around its fields)."""
    if not message or not has_request_context() or language() == DEFAULT:
        return message  # (gettext answers "" with the catalogue's header)
    translated = _gettext(message)
    if translated != message:
        return translated
    for pattern, template in _patterns(str(get_locale())):
        found = pattern.fullmatch(message)
        if found:
            plain = _PLAIN.sub(r"{\1}", _gettext(template))
            try:
                return plain.format(**found.groupdict())
            except (KeyError, IndexError, ValueError):
                return message
    return message


class LocalName(fields.String):
    """A rulebook's name of a category or item in the request's language:
    ``"Customer complaint (客户投诉)"`` is ``Customer complaint`` in English and
    ``客户投诉`` in Chinese (``domain.text.bilingual`` splits it)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        english, chinese = bilingual(str(value))
        return chinese if language() == CONTENT_LANGUAGE[ZH_CN] else english


class Localized(fields.String):
    """A message kept in English (an import's row problems), said in the
    request's language when it is read (``localize``)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else localize(str(value))


class LocalLead(fields.String):
    """A text that begins with a rulebook name (the object's ``name_attr``):
    the name in the request's language, as ``LocalName`` says it, and a remark
    after it in brackets (``"Valid orders (no data for ...)"``) as
    ``localize`` says it."""

    def __init__(self, name_attr: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name_attr = name_attr

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        name = getattr(obj, self.name_attr, None)
        if value is None or not name or not str(value).startswith(name):
            return value
        local = LocalName()._serialize(name, attr, obj)
        rest = str(value)[len(name) :]
        if rest.startswith(" (") and rest.endswith(")"):
            rest = f" ({localize(rest[2:-1])})"
        return local + rest


def localize_errors(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {
        field: [localize(m) for m in messages] for field, messages in errors.items()
    }


def _gettext(text: str) -> str:
    if not has_request_context():
        return text
    return str(get_translations().ugettext(text))


# A field with a conversion or a format spec ({item!r}, {rate:.1f}): a value
# read back from the text is formatted as it is.
_PLAIN = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


@cache
def _patterns(locale: str) -> list[tuple[re.Pattern[str], str]]:
    """Every template of the locale's catalogue that has fields, as a pattern
    that reads them back; the most literal text first, so the most specific
    wins."""
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    with path.open("rb") as file:
        templates = [m.id for m in read_mo(file) if m.id and isinstance(m.id, str)]
    found = []
    for template in templates:
        parts = list(string.Formatter().parse(template))
        names = [name for _, name, _, _ in parts if name]
        literal = "".join(text for text, *_ in parts)
        # A template that is mostly its fields ("{path}: {problem}") would read
        # any text back: it is only ever said through ``translate``.
        if not names or len(literal.strip()) < 4 or len(set(names)) != len(names):
            continue
        regex = "".join(
            re.escape(text) + (f"(?P<{name}>.+?)" if name else "")
            for text, name, _, _ in parts
        )
        found.append((len(literal), re.compile(regex, re.DOTALL), template))
    found.sort(key=lambda entry: -entry[0])
    return [(pattern, template) for _, pattern, template in found]
