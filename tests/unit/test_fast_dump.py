"""A scorecard's answer is the document marshmallow writes, written faster
(``web.fast_dump``)."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, post_dump

from domain.rulebook import FIRST_EDITION, Rulebook, shipped_rulebook
from domain.scoring import score
from tests.strategies import facts_for, rulebook_documents
from web import i18n
from web.fast_dump import compiled
from web.schemas import ScorecardOut

APP = Flask(__name__)
i18n.register(APP)


@st.composite
def answers(draw: st.DrawFn) -> dict[str, object]:
    """What ``get_scorecard`` hands its schema, over random rulebooks (and the
    shipped one, whose names are bilingual) and random facts."""
    rulebook = draw(
        st.one_of(
            st.just(shipped_rulebook(FIRST_EDITION)),
            rulebook_documents().map(Rulebook.from_dict),
        )
    )
    card = score(rulebook, draw(facts_for(rulebook)))
    disputed = draw(st.lists(st.uuids().map(str), max_size=2))
    published = draw(st.one_of(st.none(), st.decimals(0, 100, places=2)))
    return {
        "agent_id": draw(st.sampled_from(["A00001", "CS-101"])),
        "month": "2026-10",
        "rulebook": {"id": card.rulebook_id, "version": card.rulebook_version},
        "card": card,
        "period": draw(st.sampled_from(["open", "closed", "published"])),
        "provisional": bool(disputed),
        "disputed": disputed,
        "published_total": published,
        "changed_after_publication": draw(st.booleans()),
        "reopenings": [{"by": "admin", "reason": "late facts", "at": "2026-11-02"}]
        if published is not None
        else [],
        "position": draw(st.integers(0, 10**9)),
    }


@settings(max_examples=300, deadline=None)
@given(answers(), st.sampled_from([None, "en", "zh-CN", "zh-CN,en;q=0.5"]))
def test_a_scorecard_is_written_as_marshmallow_writes_it(answer, language):
    headers = {"Accept-Language": language} if language else {}
    schema = ScorecardOut()
    with APP.test_request_context(headers=headers):
        assert compiled(schema) is not None
        assert schema.dump(answer) == Schema.dump(schema, answer)


def test_a_schema_with_a_hook_is_left_to_marshmallow():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {"name": data["name"].upper()}

    assert compiled(Hooked()) is None


def test_a_missing_value_is_left_out_and_none_written_as_null():
    class Out(Schema):
        name = fields.String()
        total = fields.Decimal(places=2, as_string=True, attribute="card.total")
        day = fields.Date(allow_none=True)

    fast = compiled(Out())
    assert fast is not None
    assert fast({"name": "x", "day": None}) == {"name": "x", "day": None}
    assert fast({"card": {"total": Decimal("1.005")}}) == {"total": "1.00"}
