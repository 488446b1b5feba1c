"""Every list of ``Changes`` says whether it changes one month's reads, every
month's, or none a serving process keeps (``web.kept_reads``): a list added
without saying would leave kept answers standing after it changed them."""

import dataclasses

from projections.fold import EVERY_MONTH, Changes


def test_every_list_of_changes_is_classed_once():
    lists = [f.name for f in dataclasses.fields(Changes) if f.name != "follows"]
    classed = (
        *Changes.OF_THEIR_MONTH,
        *Changes.OF_EVERY_MONTH,
        *Changes.OF_RESCORED_MONTHS,
        *Changes.UNKEPT,
    )
    assert sorted(classed) == sorted(lists)


def test_scopes_name_the_months_of_rows_and_every_month_for_shared_rows():
    changes = Changes(
        facts=[{"month": "2025-02"}, {"month": "2025-03"}],
        order_steps=[{"order_id": "o1"}],
    )
    assert changes.scopes() == {"2025-02", "2025-03"}
    changes.agents.append({"agent_id": "a1"})
    assert changes.scopes() == {"2025-02", "2025-03", EVERY_MONTH}
