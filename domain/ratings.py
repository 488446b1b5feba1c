"""360 ratings: self, supervisor and peer (group) ratings of an agent-month.

Each assessor rates the dimensions the source gives it, 0-100; the rating is
their mean. A rater may revise a rating (a new event) until the period closes.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.rulebook import Assessor

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:rating")
SCALE = Decimal(100)
DIMENSIONS = {
    Assessor.SELF: ("task_completion",),
    Assessor.SUPERVISOR: ("performance", "ability"),
    Assessor.PEER: ("collaboration", "service"),
}


def rating_value(dimensions: dict[str, str]) -> Decimal:
    values = [Decimal(v) for v in dimensions.values()]
    return sum(values, Decimal(0)) / len(values)


class Rating(Aggregate):
    """One rater's rating of one agent for one month, as an assessor."""

    @staticmethod
    def create_id(agent_id: str, month: str, assessor: str, rater: str) -> UUID:
        return uuid5(_NAMESPACE, f"{agent_id}|{month}|{assessor}|{rater}")

    class Given(Aggregate.Created):
        agent_id: str
        month: str
        assessor: str
        rater: str
        dimensions: dict[str, str]
        comment: str

    @event(Given)
    def __init__(
        self,
        agent_id: str,
        month: str,
        assessor: str,
        rater: str,
        dimensions: dict[str, str],
        comment: str,
    ) -> None:
        self.agent_id = agent_id
        self.month = month
        self.assessor = assessor
        self.rater = rater
        self.dimensions = dimensions

    def revise(self, dimensions: dict[str, str], comment: str) -> bool:
        if dimensions == self.dimensions:
            return False
        self._revised(
            agent_id=self.agent_id,
            month=self.month,
            assessor=self.assessor,
            rater=self.rater,
            dimensions=dimensions,
            comment=comment,
        )
        return True

    class Revised(Aggregate.Event):
        agent_id: str
        month: str
        assessor: str
        rater: str
        dimensions: dict[str, str]
        comment: str

    @event(Revised)
    def _revised(
        self,
        agent_id: str,
        month: str,
        assessor: str,
        rater: str,
        dimensions: dict[str, str],
        comment: str,
    ) -> None:
        self.dimensions = dimensions
