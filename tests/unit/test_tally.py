"""A running total (``domain.tally``) is what ``score`` totals, after every fact
of a month added in log order, for random valid rulebooks and random facts."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rulebook import (
    FIRST_EDITION,
    SHIPPED_RULEBOOKS,
    Rulebook,
    shipped_rulebook,
)
from domain.scoring import Occurred, score, verdict
from domain.tally import Tally, readers
from tests.strategies import facts_for, rulebook_documents


@st.composite
def months(draw):
    rulebook = Rulebook.from_dict(draw(rulebook_documents()))
    facts = sorted(draw(facts_for(rulebook)), key=lambda f: f.position)
    # Some occurrences carry the points a dispute set.
    adjusted = [
        replace(f, points=Decimal(draw(st.integers(-10, 0))))
        if isinstance(f, Occurred) and draw(st.booleans())
        else f
        for f in facts
    ]
    return rulebook, adjusted


@settings(max_examples=400, deadline=None)
@given(months())
def test_a_tally_totals_what_score_totals_after_every_fact(case):
    rulebook, facts = case
    assert Tally.keeps(rulebook)
    tally = Tally(rulebook)
    assert tally.total == score(rulebook, []).total
    for count, fact in enumerate(facts, start=1):
        tally.add(fact)
        assert tally.total == score(rulebook, facts[:count]).total
        assert tally.position == fact.position


@settings(max_examples=100, deadline=None)
@given(months())
def test_a_copy_adds_without_changing_the_tally_it_was_copied_from(case):
    rulebook, facts = case
    tally = Tally(rulebook)
    half = len(facts) // 2
    for fact in facts[:half]:
        tally.add(fact)
    before = tally.total
    copied = tally.copy()
    for fact in facts[half:]:
        copied.add(fact)
    assert tally.total == before
    assert copied.total == score(rulebook, facts).total


def test_every_shipped_rulebook_is_kept_by_a_tally():
    for edition in (*SHIPPED_RULEBOOKS, FIRST_EDITION):
        assert Tally.keeps(shipped_rulebook(edition))


@settings(max_examples=300, deadline=None)
@given(months())
def test_a_fact_plainly_read_is_one_verdict_finds_scored(case):
    rulebook, facts = case
    for fact in facts:
        if readers(rulebook).plainly_read(fact):
            assert verdict(rulebook, [fact]).scored
