from __future__ import annotations

from decimal import Decimal

import pytest

from domain.ranking import bottom, rank, top


def totals(**values):
    return {k: Decimal(v) for k, v in values.items()}


def test_equal_totals_share_a_rank_and_the_next_rank_skips():
    ranked = rank(totals(d=100, c=97, b=97, a=95))
    places = [(r.agent_id, r.rank) for r in ranked]
    assert places == [("d", 1), ("b", 2), ("c", 2), ("a", 4)]


def test_the_top_three_include_everyone_tied_for_third():
    ranked = rank(totals(a=100, b=99, c=98, d=98, e=90))
    assert top(ranked, 3) == {"a", "b", "c", "d"}


def test_the_bottom_three_include_everyone_tied_with_the_third_last():
    ranked = rank(totals(a=100, b=99, c=80, d=80, e=70, f=60))
    assert bottom(ranked, 3) == {"c", "d", "e", "f"}
    assert bottom(rank(totals(a=1)), 3) == {"a"}
    assert bottom(ranked, 0) == set()


@pytest.mark.parametrize(
    ("values", "places"),
    [
        (totals(a=100, b=90, c=80, d=80, e=70), [1, 2, 3, 3, 5]),
        (totals(a=100, b=90, c=90, d=80, e=80, f=80, g=70), [1, 2, 2, 4, 4, 4, 7]),
        (totals(a=50, b=50, c=50), [1, 1, 1]),
    ],
)
def test_a_tie_anywhere_shares_the_rank_of_its_first_member(values, places):
    assert [r.rank for r in rank(values)] == places


@pytest.mark.parametrize(
    ("values", "group"),
    [
        (totals(a=100, b=90, c=80), {"c"}),
        (totals(a=100, b=80, c=80), {"b", "c"}),
        (totals(a=100), {"a"}),
    ],
)
def test_a_bottom_group_of_one_is_the_last_agent_and_anyone_tied_with_them(
    values, group
):
    assert bottom(rank(values), 1) == group


def test_nobody_is_at_the_bottom_of_an_empty_ranking():
    assert bottom([], 3) == set()
