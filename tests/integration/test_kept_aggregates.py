"""The token and the rules register every request reads are kept between
requests and brought up to date from the store once a request: a revocation
recorded by any process refuses the token's next request, on both backends."""

from __future__ import annotations

import pytest

from domain.access import Role, TokenRejectedError
from projections.runtime import Runtime


def test_a_token_revoked_by_another_process_is_refused_on_its_next_request(
    runtime, store_config
):
    issued = runtime.app.issue_token("wang", Role.SUPERVISOR, "t1", "admin")
    with runtime.app.one_request():
        assert runtime.app.authenticate(issued.token).user == "wang"
    other = Runtime(store_config)  # another worker: its own kept copies
    try:
        other.app.revoke_token(issued.token_id, "admin", "left the company")
    finally:
        other.close()

    with runtime.app.one_request(), pytest.raises(TokenRejectedError):
        runtime.app.authenticate(issued.token)


def test_a_request_reads_the_store_as_it_first_found_it(runtime, store_config):
    issued = runtime.app.issue_token("li", Role.AGENT, "t1", "admin")
    with runtime.app.one_request():
        assert runtime.app.authenticate(issued.token).user == "li"
        runtime.app.revoke_token(issued.token_id, "admin", "rotated")
        # The same request goes on with what it authenticated with.
        assert runtime.app.authenticate(issued.token).user == "li"
    # Outside a request every read asks the store.
    with pytest.raises(TokenRejectedError):
        runtime.app.authenticate(issued.token)


def test_a_copy_another_thread_kept_meanwhile_is_not_brought_up_to_date_twice(
    runtime, monkeypatch
):
    issued = runtime.app.issue_token("zhao", Role.AGENT, "t1", "admin")
    recorder = runtime.app.recorder
    reading = recorder.select_events_after
    raced: list[bool] = []

    def racing(versions):
        if not raced:  # another request keeps the token first, meanwhile
            raced.append(True)
            assert runtime.app.authenticate(issued.token).user == "zhao"
        return reading(versions)

    monkeypatch.setattr(recorder, "select_events_after", racing)

    assert runtime.app.authenticate(issued.token).user == "zhao"
    assert raced
