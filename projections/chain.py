"""The hash chain that links every stored event to the one before it:
``hash(n) = sha256(hash(n-1) | position | aggregate | version | topic | state)``.
"""

from __future__ import annotations

import hashlib

from eventsourcing.persistence import Notification

GENESIS = "0" * 64


def link(previous: str, notification: Notification) -> str:
    digest = hashlib.sha256()
    for part in (
        previous,
        str(notification.id),
        str(notification.originator_id),
        str(notification.originator_version),
        notification.topic,
    ):
        digest.update(part.encode("utf-8") + b"\x1f")
    state = notification.state
    digest.update(state.encode("utf-8") if isinstance(state, str) else bytes(state))
    return digest.hexdigest()
