"""The zh-CN catalogue: committed compiled, translating every marked message
with the same fields, and knowing the libraries' own messages."""

from __future__ import annotations

import io
import json
import re
import string
from pathlib import Path

import marshmallow.fields
import werkzeug.exceptions
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from marshmallow import validate

from domain.text import bilingual
from web.i18n import MARSHMALLOW, TRANSLATIONS, WERKZEUG, ZH_CN

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = TRANSLATIONS / ZH_CN / "LC_MESSAGES"


def catalogue():
    with (MESSAGES / "messages.po").open("rb") as file:
        return read_po(file)


def extracted() -> set[str]:
    """Every message the code marks, as ``pybabel extract -F babel.cfg -k N_
    -k _`` (``_`` in the pages' templates)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    keywords = {"N_": None, "_": None}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    return {message for _, _, message, _, _ in found}


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_committed_mo_is_the_po_compiled():
    compiled = io.BytesIO()
    write_mo(compiled, catalogue())

    assert (MESSAGES / "messages.mo").read_bytes() == compiled.getvalue(), (
        "messages.mo is stale: pybabel compile -d web/translations"
    )


def test_every_marked_message_has_a_chinese_translation():
    translated = {m.id: m.string for m in catalogue() if m.id and not m.fuzzy}

    missing = sorted(m for m in extracted() if not translated.get(m))

    assert missing == [], "translate these in messages.po"


def test_the_catalogue_holds_no_message_the_code_no_longer_marks():
    stale = sorted({m.id for m in catalogue() if m.id} - extracted())

    assert stale == []


def test_a_translation_has_the_fields_of_its_template():
    differ = {
        m.id: m.string
        for m in catalogue()
        if m.id and fields_of(m.id) != fields_of(m.string)
    }

    assert differ == {}


def test_marshmallow_says_only_what_the_catalogue_knows():
    said = {
        message
        for cls in vars(marshmallow.fields).values()
        if isinstance(cls, type) and issubclass(cls, marshmallow.fields.Field)
        for message in cls.default_error_messages.values()
        if "{obj_type}" not in message
        and "{awareness}" not in message
        and "{input!r}" not in message
        and "IP" not in message
    } | {"Unknown field.", "Invalid input type."}
    ranges = {
        template.format(min_op=low, max_op=high)
        for template in (validate.Range.message_min, validate.Range.message_max,
                         validate.Range.message_all)
        for low in (validate.Range.message_gte, validate.Range.message_gt)
        for high in (validate.Range.message_lte, validate.Range.message_lt)
    }  # fmt: skip
    lengths = {
        validate.Length.message_min, validate.Length.message_max,
        validate.Length.message_all, validate.Length.message_equal,
        validate.OneOf.default_message, validate.Equal.default_message,
        validate.Regexp.default_message,
    }  # fmt: skip

    assert (said | ranges | lengths) - set(MARSHMALLOW) == set()


def test_werkzeug_describes_its_errors_as_the_catalogue_has_them():
    described = {
        cls.description
        for cls in (werkzeug.exceptions.BadRequest, werkzeug.exceptions.NotFound,
                    werkzeug.exceptions.MethodNotAllowed,
                    werkzeug.exceptions.NotAcceptable,
                    werkzeug.exceptions.RequestEntityTooLarge,
                    werkzeug.exceptions.RequestURITooLarge,
                    werkzeug.exceptions.UnsupportedMediaType,
                    werkzeug.exceptions.InternalServerError)
    }  # fmt: skip

    assert described == set(WERKZEUG)


def test_a_bilingual_name_splits_into_english_and_chinese():
    assert bilingual("Customer complaint (客户投诉)") == (
        "Customer complaint",
        "客户投诉",
    )
    assert bilingual("Management (管理类) — superior 60%") == (
        "Management — superior 60%",
        "管理类 — superior 60%",
    )
    assert bilingual("Scheme A") == ("Scheme A", "Scheme A")
    assert bilingual("Refund (money back)") == ("Refund (money back)",) * 2


def test_every_shipped_name_with_chinese_splits_into_an_english_one():
    han = re.compile("[\u4e00-\u9fff]")
    unsplit = []
    for path in sorted((ROOT / "domain" / "rulebooks").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for category in document.get("categories", []):
            for named in (category, *category.get("items", [])):
                english, _ = bilingual(named["name"])
                if han.search(named["name"]) and han.search(english):
                    unsplit.append((path.name, named["name"]))

    assert unsplit == []
