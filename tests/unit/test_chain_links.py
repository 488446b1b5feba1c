"""A link's spelling is part of every store's history: checkpoints, published
reports and verification all recompute it. These hashes were computed when the
chain was first written; any change to how a link is made must keep them."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import StoredEvent

from projections.chain import GENESIS, link_at

EVENT = StoredEvent(
    originator_id=UUID("12345678-1234-4678-9234-567812345678"),
    originator_version=3,
    topic="domain.deduction:Deduction.Recorded",
    state='{"agent_id":"CS-102","note":"客户"}'.encode(),
)


def test_a_link_is_the_hash_it_always_was():
    first = link_at(GENESIS, 41, EVENT)
    assert first == "3dea35b210860f8faf1e18ec681736aea23c4118ade5787f18fdd9e1f6f36127"
    assert (
        link_at(first, 42, EVENT)
        == "238912a822df19898d7f6b2b568ee931282751d2acc3291b87f74ceb0df98531"
    )


def test_text_state_links_as_its_utf8_bytes():
    as_text = StoredEvent(
        EVENT.originator_id, EVENT.originator_version, EVENT.topic,
        EVENT.state.decode(),  # type: ignore[arg-type]
    )  # fmt: skip
    assert link_at(GENESIS, 41, as_text) == link_at(GENESIS, 41, EVENT)
