from __future__ import annotations

from decimal import Decimal

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
