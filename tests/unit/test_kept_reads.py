"""The answers a worker keeps (``web.kept_reads``): those of positions a
generation has moved past are let go at once, so a long import, which moves
the positions every few hundred rows, does not fill the worker's memory with
answers nobody can ask for again."""

from web.kept_reads import KeptReads

LIVE, REBUILD = 1, 2


def answer(size: int = 100) -> tuple[bytes, int, list[tuple[str, str]]]:
    return (b"x" * size, 200, [("Content-Type", "application/json")])


def test_answers_of_positions_left_behind_are_let_go():
    kept = KeptReads()
    for agent in range(50):
        kept.put(("card", agent, (10, 10)), answer(), LIVE, (10, 10))
    assert kept.get(("card", 7, (10, 10))) is not None

    kept.put(("card", 7, (11, 11)), answer(), LIVE, (11, 11))

    assert kept.get(("card", 7, (10, 10))) is None
    assert kept.get(("card", 7, (11, 11))) is not None
    assert kept.size == 100


def test_an_answer_worked_out_at_older_positions_is_not_kept():
    kept = KeptReads()
    kept.put(("card", 1, (11, 11)), answer(), LIVE, (11, 11))
    kept.put(("card", 2, (10, 10)), answer(), LIVE, (10, 10))  # a slower request
    assert kept.get(("card", 2, (10, 10))) is None
    assert kept.get(("card", 1, (11, 11))) is not None


def test_another_generation_s_answers_stay():
    kept = KeptReads()
    kept.put(("card", 1, (5, 5)), answer(), REBUILD, (5, 5))
    kept.put(("card", 1, (11, 11)), answer(), LIVE, (11, 11))
    kept.put(("card", 1, (12, 12)), answer(), LIVE, (12, 12))
    assert kept.get(("card", 1, (5, 5))) is not None
    assert kept.get(("card", 1, (11, 11))) is None


def test_the_byte_budget_still_holds_at_one_moment():
    kept = KeptReads(budget=1_000)
    for agent in range(30):
        kept.put(("card", agent, (10, 10)), answer(), LIVE, (10, 10))
    assert kept.size <= 1_000
    assert kept.get(("card", 29, (10, 10))) is not None
    assert kept.get(("card", 0, (10, 10))) is None
