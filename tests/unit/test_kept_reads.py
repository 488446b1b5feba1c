"""The answers a worker keeps (``web.kept_reads``): given again while nothing
their month shows has changed, so an import into one month or commands on
another leave a month's reads answered at once; a change to the month itself,
or to what every month shows, is seen by the next read; and an answer shows
the read position of the read that asks."""

from web.kept_reads import _STRING, Answer, KeptReads, Read, _depth, _shown_at

LIVE, REBUILD = 1, 2
MARCH, FEBRUARY = "2025-03", "2025-02"


class Moves:
    """A view's notes of changes: month -> the last counter it changed under."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        self.asked: list[int] = []

    def note(self, counter: int, *months: str) -> None:
        for month in months:
            self.last[month] = counter

    def since(self, counter: int) -> dict[str, int]:
        self.asked.append(counter)
        return {m: c for m, c in self.last.items() if c > counter}


def read(counter: int, agent: int = 1, month: str = MARCH, position: int = 0) -> Read:
    return Read(LIVE, ("card", agent, month), month, counter, position or counter)


def answer(counter: int, size: int = 100) -> Answer:
    """A JSON body ending with the read position, which it leaves out."""
    before = b'{"total": "97.00", "x": "' + b"x" * size + b'", "position": '
    return Answer(before, b"}", 200, [("Content-Type", "application/json")], counter)


def test_an_answer_stands_while_only_other_months_change():
    kept, moves = KeptReads(), Moves()
    kept.put(read(5), answer(5))
    moves.note(6, FEBRUARY)  # an import into February
    moves.note(7, FEBRUARY)

    found = kept.get(read(7, position=90), moves.since)

    assert found is not None
    assert found.body(90).endswith(b'"position": 90}')  # the asking read's position


def test_a_change_to_the_month_is_seen_by_the_next_read():
    kept, moves = KeptReads(), Moves()
    kept.put(read(5), answer(5))
    moves.note(6, MARCH)

    assert kept.get(read(6), moves.since) is None
    assert kept.size == 0  # let go at once


def test_a_change_to_every_month_is_seen_by_the_next_read():
    kept, moves = KeptReads(), Moves()
    kept.put(read(5), answer(5))
    moves.note(6, "*")  # an agent registered, rules published, a period closed

    assert kept.get(read(6), moves.since) is None


def test_what_changed_is_asked_once_per_counter():
    kept, moves = KeptReads(), Moves()
    for agent in range(20):
        kept.put(read(5, agent), answer(5))
    moves.note(6, FEBRUARY)
    for agent in range(20):
        assert kept.get(read(6, agent), moves.since) is not None
    assert moves.asked == [-1]  # everything, once; then nothing new to ask


def test_an_answer_newer_than_the_read_is_not_given_to_it():
    kept, moves = KeptReads(), Moves()
    kept.put(read(8), answer(8))
    assert kept.get(read(7), moves.since) is None  # a read that began earlier


def test_an_answer_worked_out_before_a_change_does_not_replace_a_newer_one():
    kept, moves = KeptReads(), Moves()
    kept.put(read(8), answer(8, size=10))
    kept.put(read(7), answer(7, size=20))  # a slower request
    found = kept.get(read(8), moves.since)
    assert found is not None and found.counter == 8


def test_another_generation_s_answers_are_apart():
    kept, moves = KeptReads(), Moves()
    kept.put(Read(REBUILD, ("card", 1), MARCH, 5, 5), answer(5))
    assert kept.get(read(5), moves.since) is None
    assert kept.get(Read(REBUILD, ("card", 1), MARCH, 5, 5), moves.since) is not None


def test_the_byte_budget_holds():
    kept = KeptReads(budget=2_000)
    for agent in range(30):
        kept.put(read(5, agent), answer(5))
    assert kept.size <= 2_000
    assert kept.get(read(5, 29), Moves().since) is not None
    assert kept.get(read(5, 0), Moves().since) is None


def test_the_read_position_is_found_at_the_top_level_only():
    body = (
        b'{"categories":[{"lines":[{"position":7,"remark":"a { [ \\" }"}]}],'
        b'"name":"\\"position\\":7}","position":7,"provisional":false}'
    )
    digits = _shown_at(body, "position", 7)
    assert digits is not None
    assert body[digits - 11 : digits + 2] == b'"position":7,'
    assert body[digits + 2 :] == b'"provisional":false}'
    assert _shown_at(b'{"lines":[{"position":7}],"position":8}', "position", 7) is None


def test_the_depth_is_the_same_counted_from_either_side():
    body = b'{"a":[{"b":"}]"},{"c":{"position":3}}],"position":3,"z":"[{"}'
    for at in range(1, len(body)):
        prefix = _STRING.sub(b"", body[:at])
        expected = prefix.count(b"{") + prefix.count(b"[")
        expected -= prefix.count(b"}") + prefix.count(b"]")
        if body[at : at + 1] == b'"' and body[:at].count(b'"') % 2 == 0:
            assert _depth(body, at) == expected
    assert _shown_at(body, "position", 3) == body.index(b'"position":3,"z"') + 11
