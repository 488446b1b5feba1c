"""The hash chain that links every stored event to the one before it:
``hash(n) = sha256(hash(n-1) | position | aggregate | version | topic | state)``.
"""

from __future__ import annotations

import hashlib

from eventsourcing.persistence import Notification, StoredEvent

GENESIS = "0" * 64


def link(previous: str, notification: Notification) -> str:
    return link_at(previous, notification.id, notification)


def link_at(previous: str, position: int, event: StoredEvent) -> str:
    """The link of ``event`` stored at ``position``: an insert links its
    events before it has made them notifications."""
    # Each part ends with the separator (an f-string: a fifth faster than a join).
    head = (
        f"{previous}\x1f{position}\x1f{event.originator_id}\x1f"
        f"{event.originator_version}\x1f{event.topic}\x1f"
    )
    digest = hashlib.sha256(head.encode("utf-8"))
    state = event.state
    digest.update(state.encode("utf-8") if isinstance(state, str) else bytes(state))
    return digest.hexdigest()
