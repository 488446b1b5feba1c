"""Customer complaints: each costs the complaint rule item's points; a severe
one also its fine. A complaint also counts towards the complaint share."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:complaint")
COMPLAINT_ITEM = "complaint"


class Complaint(Aggregate):
    """A complaint against an agent, known by the complaint number."""

    @staticmethod
    def create_id(complaint_no: str) -> UUID:
        return uuid5(_NAMESPACE, complaint_no)

    class Recorded(Aggregate.Created):
        complaint_no: str
        agent_id: str
        occurred_on: date
        severity: str | None
        order_no: str | None
        description: str
        recorded_by: str

    @event(Recorded)
    def __init__(
        self,
        complaint_no: str,
        agent_id: str,
        occurred_on: date,
        severity: str | None,
        order_no: str | None,
        description: str,
        recorded_by: str,
    ) -> None:
        self.complaint_no = complaint_no
        self.agent_id = agent_id
        self.occurred_on = occurred_on
        self.severity = severity
        self.order_no = order_no
        self.description = description
