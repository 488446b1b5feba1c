"""Hypothesis strategies: random valid rulebooks and random facts for them."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from domain.rulebook import Assessor, Rulebook
from domain.scoring import Fact, MetricSample, Occurred, Rated

METRICS = ("m_rate", "m_seconds", "m_amount")
points = st.integers(min_value=0, max_value=800).map(lambda n: Decimal(n) / 100)


@st.composite
def maxima(draw: st.DrawFn) -> list[int]:
    """Positive category maxima adding up to 100."""
    count = draw(st.integers(1, 5))
    cuts = sorted(
        draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1))
    )
    edges = [0, *cuts, 100]
    return [b - a for a, b in itertools.pairwise(edges)]


def _signed(value: Decimal, mode: str) -> str:
    return str(-value if mode == "deduct" else value)


@st.composite
def occurrence(draw: st.DrawFn, code: str, mode: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "code": code,
        "name": code,
        "kind": "credit"
        if mode == "accumulate" and draw(st.booleans())
        else "occurrence",
        "points": _signed(draw(points), mode),
        "once_per_month": draw(st.booleans()),
    }
    if draw(st.booleans()):
        item["monthly_cap"] = str(draw(points) + 1)
    if item["kind"] == "occurrence" and draw(st.booleans()):
        item["fine"] = str(draw(points))
        item["severities"] = [{"code": "severe", "points": _signed(draw(points), mode)}]
    return item


@st.composite
def bands(draw: st.DrawFn, code: str, mode: str) -> dict[str, Any]:
    edges = sorted(draw(st.sets(st.integers(0, 200), min_size=1, max_size=4)))
    bounds = [None, *[Decimal(e) / 100 for e in edges], None]
    return {
        "code": code,
        "name": code,
        "kind": "metric_bands",
        "metric": draw(st.sampled_from(METRICS)),
        "bands": [
            {
                **({"min": str(low)} if low is not None else {}),
                **({"max": str(high)} if high is not None else {}),
                "points": _signed(draw(points), mode),
            }
            for low, high in itertools.pairwise(bounds)
        ],
    }


@st.composite
def scale(draw: st.DrawFn, code: str, mode: str) -> dict[str, Any]:
    low, high = sorted(draw(st.sets(st.integers(0, 500), min_size=2, max_size=2)))
    ends = [
        {"value": str(v), "points": _signed(draw(points), mode)} for v in (low, high)
    ]
    if draw(st.booleans()):
        ends.reverse()
    return {
        "code": code,
        "name": code,
        "kind": "metric_scale",
        "metric": draw(st.sampled_from(METRICS)),
        "from": ends[0],
        "to": ends[1],
    }


@st.composite
def rating(draw: st.DrawFn, code: str) -> dict[str, Any]:
    a = draw(st.integers(0, 100))
    b = draw(st.integers(0, 100 - a))
    return {
        "code": code,
        "name": code,
        "kind": "rating",
        "weights": {
            "self": str(Decimal(a) / 100),
            "supervisor": str(Decimal(b) / 100),
            "peer": str(Decimal(100 - a - b) / 100),
        },
        "scale_max": "100",
        "max_points": str(draw(st.integers(1, 40))),
        "missing": draw(st.sampled_from(["renormalise", "incomplete"])),
    }


@st.composite
def rulebook_documents(draw: st.DrawFn) -> dict[str, Any]:
    categories = []
    serial = 0
    for index, maximum in enumerate(draw(maxima())):
        mode = draw(st.sampled_from(["deduct", "accumulate"]))
        items = []
        for _ in range(draw(st.integers(0, 4))):
            serial += 1
            code = f"i{serial}"
            makers = [occurrence(code, mode), bands(code, mode), scale(code, mode)]
            if mode == "accumulate":
                makers.append(rating(code))
            items.append(draw(st.one_of(makers)))
        categories.append(
            {
                "code": f"c{index}",
                "name": f"C{index}",
                "max": str(maximum),
                "mode": mode,
                "items": items,
            }
        )
    return {"id": "random", "name": "Random", "categories": categories}


def _header(position: int) -> dict[str, Any]:
    return {
        "fact_id": f"f{position}",
        "event_id": f"f{position}:1",
        "position": position,
        "occurred_on": date(2026, 10, 1 + position % 28),
        "recorded_by": "someone",
        "recorded_at": datetime(2026, 11, 1, tzinfo=UTC),
    }


@st.composite
def facts_for(draw: st.DrawFn, rulebook: Rulebook) -> list[Fact]:
    codes = [item.code for _, item in rulebook.items()] + ["not_an_item"]
    positions = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=25))
    facts: list[Fact] = []
    for position in positions:
        kind = draw(st.sampled_from(["occurred", "sample", "rated"]))
        if kind == "occurred":
            facts.append(
                Occurred(
                    **_header(position),
                    item=draw(st.sampled_from(codes)),
                    quantity=draw(st.integers(1, 5)),
                    severity=draw(st.sampled_from([None, "severe"])),
                )
            )
        elif kind == "sample":
            facts.append(
                MetricSample(
                    **_header(position),
                    metric=draw(st.sampled_from(METRICS)),
                    numerator=Decimal(draw(st.integers(0, 100_000))) / 100,
                    denominator=Decimal(draw(st.integers(0, 1_000))),
                )
            )
        else:
            facts.append(
                Rated(
                    **_header(position),
                    assessor=draw(st.sampled_from(list(Assessor))),
                    rater=draw(st.sampled_from(["r1", "r2", "r3"])),
                    value=Decimal(draw(st.integers(0, 100))),
                )
            )
    return facts
