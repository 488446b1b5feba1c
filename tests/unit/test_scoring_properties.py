"""Properties of scoring over random valid rulebooks and random facts."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rulebook import Rulebook
from domain.scoring import Occurred, score
from tests.strategies import facts_for, rulebook_documents
from web.rulebook_schema import parse_rulebook


@st.composite
def rulebooks_and_facts(draw):
    rulebook = Rulebook.from_dict(draw(rulebook_documents()))
    return rulebook, draw(facts_for(rulebook))


@settings(max_examples=300, deadline=None)
@given(rulebook_documents())
def test_every_generated_rulebook_passes_the_published_validation(document):
    assert sum(c.max for c in parse_rulebook(document).categories) == 100


@settings(max_examples=400, deadline=None)
@given(rulebooks_and_facts())
def test_every_category_lies_within_zero_and_its_maximum(case):
    rulebook, facts = case
    card = score(rulebook, facts)
    for category in card.categories:
        assert Decimal(0) <= category.score <= category.max


@settings(max_examples=400, deadline=None)
@given(rulebooks_and_facts())
def test_every_total_lies_within_zero_and_100_and_sums_the_categories(case):
    rulebook, facts = case
    card = score(rulebook, facts)
    assert Decimal(0) <= card.total <= Decimal(100)
    assert card.total == sum(c.score for c in card.categories)


@settings(max_examples=200, deadline=None)
@given(rulebooks_and_facts(), st.randoms())
def test_the_order_facts_arrive_in_does_not_matter(case, shuffle):
    rulebook, facts = case
    shuffled = list(facts)
    shuffle.shuffle(shuffled)
    assert score(rulebook, shuffled) == score(rulebook, facts)


@settings(max_examples=200, deadline=None)
@given(rulebooks_and_facts())
def test_every_occurrence_is_on_exactly_one_line(case):
    rulebook, facts = case
    card = score(rulebook, facts)
    lines = [*(line for c in card.categories for line in c.lines), *card.unscored]
    shown = [f.fact_id for line in lines for f in line.facts if isinstance(f, Occurred)]
    assert sorted(shown) == sorted(f.fact_id for f in facts if isinstance(f, Occurred))


@settings(max_examples=200, deadline=None)
@given(rulebooks_and_facts())
def test_a_category_is_its_start_plus_its_lines_then_bounded(case):
    rulebook, facts = case
    for category in score(rulebook, facts).categories:
        moved = sum((line.points for line in category.lines), Decimal(0))
        assert category.raw == category.start + moved
        assert category.score == category.raw + category.bounded
        assert (category.bounded > 0) is category.floor_applied
        assert category.start == (category.max if category.mode == "deduct" else 0)
