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
        kept.put((LIVE, (10, 10)), ("card", agent), answer())
    assert kept.get((LIVE, (10, 10)), ("card", 7)) is not None

    kept.put((LIVE, (11, 11)), ("card", 7), answer())

    assert kept.get((LIVE, (10, 10)), ("card", 7)) is None
    assert kept.get((LIVE, (11, 11)), ("card", 7)) is not None
    assert kept.size == 100


def test_an_answer_worked_out_at_older_positions_is_not_kept():
    kept = KeptReads()
    kept.put((LIVE, (11, 11)), ("card", 1), answer())
    kept.put((LIVE, (10, 10)), ("card", 2), answer())  # a slower request
    assert kept.get((LIVE, (10, 10)), ("card", 2)) is None
    assert kept.get((LIVE, (11, 11)), ("card", 1)) is not None


def test_another_generation_s_answers_stay():
    kept = KeptReads()
    kept.put((REBUILD, (5, 5)), ("card", 1), answer())
    kept.put((LIVE, (11, 11)), ("card", 1), answer())
    kept.put((LIVE, (12, 12)), ("card", 1), answer())
    assert kept.get((REBUILD, (5, 5)), ("card", 1)) is not None
    assert kept.get((LIVE, (11, 11)), ("card", 1)) is None


def test_the_byte_budget_still_holds_at_one_moment():
    kept = KeptReads(budget=1_000)
    for agent in range(30):
        kept.put((LIVE, (10, 10)), ("card", agent), answer())
    assert kept.size <= 1_000
    assert kept.get((LIVE, (10, 10)), ("card", 29)) is not None
    assert kept.get((LIVE, (10, 10)), ("card", 0)) is None
