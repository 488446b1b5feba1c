"""The rulebook document format: what it accepts, and errors that name the path."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from domain.rulebook import (
    MetricBands,
    MetricScale,
    Mode,
    RatingItem,
    shipped_document,
    shipped_rulebook,
)
from web.rulebook_schema import parse_rulebook

SONGSONG = shipped_document("songsong-2019")
ONLINE = shipped_document("online-cs")

# The implicit default (songsong-2019 v1) scores every month nobody published a
# version for. Editing the file would silently re-score history; publish a new
# version instead.
SONGSONG_V1_DIGEST = "6fd6c4abbebdc2e9f308938d783801a64fefd834a0cd8d7f9e2fc9eb9f881392"


def errors_of(document) -> dict:
    with pytest.raises(ValidationError) as refused:
        parse_rulebook(document)
    return refused.value.messages


def test_both_shipped_schemes_are_valid_rulebooks_of_100_points():
    for document in (SONGSONG, ONLINE):
        rulebook = parse_rulebook(document)
        assert sum(c.max for c in rulebook.categories) == 100


def test_the_shipped_default_never_changes_under_the_scores_it_made():
    assert shipped_rulebook("songsong-2019").digest == SONGSONG_V1_DIGEST


def test_scheme_a_weights_self_supervisor_and_peer_15_60_25():
    rulebook = parse_rulebook(ONLINE)
    item = rulebook.item("assessment")
    assert isinstance(item, RatingItem)
    assert {a.value: w for a, w in item.weights} == {
        "self": Decimal("0.15"),
        "supervisor": Decimal("0.60"),
        "peer": Decimal("0.25"),
    }
    assert rulebook.quarter_rewards == (300, 200, 100)
    assert rulebook.bottom_group == 3


def test_scheme_a_scores_every_service_metric_of_the_brief():
    rulebook = parse_rulebook(ONLINE)
    metrics = {
        item.metric
        for _, item in rulebook.items()
        if isinstance(item, MetricBands | MetricScale)
    }
    assert metrics >= {
        "conversion_rate",
        "response_seconds",
        "churn_rate",
        "order_amount",
        "valid_order_share",
        "payment_ratio",
        "refund_ratio",
        "average_order_value",
        "complaint_share",
        "abnormal_order_share",
    }


def test_a_severe_complaint_also_carries_a_fine_in_scheme_b():
    complaint = parse_rulebook(SONGSONG).item("complaint")
    severe = complaint.severity("severe")
    assert (severe.points, severe.fine) == (Decimal(-3), Decimal(200))


def changed(document, path, value):
    changed = copy.deepcopy(document)
    *parents, last = path
    target = changed
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("categories", 0, "max"), "12", "categories"),  # maxima add up to 102
        (("categories", 1, "items", 0, "points"), "3", "categories.1.items.0.points"),
        (("categories", 1, "items", 0, "code"), "late_early", "categories"),  # twice
        (
            ("categories", 1, "items", 0, "points"),
            "three",
            "categories.1.items.0.points",
        ),
        (("categories", 1, "items", 0, "kind"), "lottery", "categories.1.items.0.kind"),
        (("categories", 1, "items", 0, "bands"), [], "categories.1.items.0.bands"),
        (("categories", 0, "mode"), "sideways", "categories.0.mode"),
        (("categories", 0, "items", 0, "name"), ..., "categories.0.items.0.name"),
        (("money", "commission_base"), "-1", "money.commission_base"),
        (
            ("grades",),
            [{"code": "A", "min_total": "90"}, {"code": "B", "min_total": "90"}],
            "grades",
        ),
        (("surprise",), 1, "surprise"),
    ],
)
def test_an_invalid_rulebook_is_refused_naming_the_path(path, value, field):
    errors = errors_of(changed(SONGSONG, path, value))
    flat = _flatten(errors)
    assert field in flat, flat


def test_rating_weights_must_add_up_to_one():
    document = changed(
        ONLINE,
        ("categories", 5, "items", 0, "weights"),
        {"self": "0.2", "supervisor": "0.6", "peer": "0.25"},
    )
    assert "categories.5.items.0.weights" in _flatten(errors_of(document))


def test_overlapping_bands_are_refused():
    bands = [{"min": "0", "max": "0.5", "points": "2"}, {"min": "0.4", "points": "4"}]
    document = changed(ONLINE, ("categories", 0, "items", 0, "bands"), bands)
    assert "categories.0.items.0.bands" in _flatten(errors_of(document))


def test_a_credit_in_a_deduct_category_is_refused():
    credit = {"code": "bonus", "name": "Bonus", "kind": "credit", "points": "2"}
    document = changed(SONGSONG, ("categories", 0, "items"), [credit])
    assert "categories.0.items.0" in _flatten(errors_of(document))


def test_fields_of_another_kind_are_refused():
    item = {"code": "x", "name": "X", "points": "-1", "bands": [{"points": "0"}]}
    document = changed(SONGSONG, ("categories", 0, "items"), [item])
    assert "categories.0.items.0.bands" in _flatten(errors_of(document))


def test_an_accumulate_category_is_parsed_as_such():
    assert parse_rulebook(ONLINE).category_of("conversion_rate").mode is Mode.ACCUMULATE


def _flatten(messages, path=""):
    from web.errors import flatten

    return flatten(messages, path)
