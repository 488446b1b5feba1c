"""The metrics that facts feed and rulebooks score, and how a month's value is
taken from its samples.

A sample carries a numerator and a denominator. A *ratio* metric's monthly value
is the sum of numerators over the sum of denominators (a rate or an average); a
*sum* metric's value is the sum of numerators (a total or a count). Metrics not
listed here are ratios.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Aggregation(StrEnum):
    RATIO = "ratio"
    SUM = "sum"


@dataclass(frozen=True)
class Metric:
    name: str
    aggregation: Aggregation
    meaning: str
    source: str


def _ratio(name: str, meaning: str, source: str) -> Metric:
    return Metric(name, Aggregation.RATIO, meaning, source)


def _sum(name: str, meaning: str, source: str) -> Metric:
    return Metric(name, Aggregation.SUM, meaning, source)


METRICS = {
    m.name: m
    for m in (
        _ratio("conversion_rate", "conversions / consultations", "chat statistics"),
        _ratio(
            "response_seconds",
            "average response seconds, weighted by consultations",
            "chat statistics",
        ),
        _ratio("churn_rate", "customers lost / consultations", "chat statistics"),
        _sum("order_amount", "total amount of the orders submitted", "orders"),
        _sum("order_count", "orders submitted", "orders"),
        _ratio("average_order_value", "amount / orders submitted", "orders"),
        _ratio("valid_order_share", "orders processed / orders submitted", "orders"),
        _ratio("payment_ratio", "orders paid / orders submitted", "orders"),
        _ratio("refund_ratio", "orders refunded / orders paid", "orders"),
        _ratio(
            "abnormal_order_share",
            "orders with a failed check or redone / orders submitted",
            "orders",
        ),
        _sum("disputes", "order disputes opened", "orders"),
        _ratio(
            "served_well_share",
            "orders completed without dispute and with timely feedback / orders "
            "finished",
            "orders",
        ),
        _ratio(
            "complaint_share", "complaints / orders submitted", "complaints, orders"
        ),
        _ratio("exam_score", "average exam score (0-100)", "exam results"),
    )
}


def aggregation_of(metric: str) -> Aggregation:
    found = METRICS.get(metric)
    return found.aggregation if found else Aggregation.RATIO
