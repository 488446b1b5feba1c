from __future__ import annotations

from domain.access import Principal, Role


def test_a_supervisor_may_record_only_for_their_own_team():
    supervisor = Principal("sup", Role.SUPERVISOR, "t1")
    assert supervisor.may_record_for("t1")
    assert not supervisor.may_record_for("t2")


def test_auditors_and_agents_record_nothing_and_admins_record_for_anyone():
    assert not Principal("aud", Role.AUDITOR).may_record_for("t1")
    assert not Principal("a1", Role.AGENT).may_record_for("t1")
    assert Principal("root", Role.ADMIN).may_record_for("t9")


def test_an_agent_may_read_only_their_own_records():
    agent = Principal("a1", Role.AGENT)
    assert agent.may_read_agent("a1")
    assert not agent.may_read_agent("a2")
    assert Principal("aud", Role.AUDITOR).may_read_agent("a2")
