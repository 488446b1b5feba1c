"""Collection paused for a batch: resumed when the last batch ends, and left
as the process had it."""

import gc
import threading
import weakref

import pytest

from domain.batch_memory import batch_memory


@pytest.fixture(autouse=True)
def _collector_restored():
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_collection_resumes_after_the_batch_even_when_it_fails():
    gc.enable()
    with pytest.raises(ValueError), batch_memory():
        assert not gc.isenabled()
        raise ValueError("a batch that fails")
    assert gc.isenabled()


def test_overlapping_batches_resume_when_the_last_one_ends():
    gc.enable()
    first_in = threading.Event()
    second_done = threading.Event()

    def second() -> None:
        first_in.wait()
        with batch_memory():
            pass
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with batch_memory():
        first_in.set()
        second_done.wait()
        assert not gc.isenabled()  # the other batch ended, this one has not
    thread.join()
    assert gc.isenabled()


def test_a_process_that_disabled_collection_keeps_it_disabled():
    gc.disable()
    with batch_memory():
        pass
    assert not gc.isenabled()


def test_cycles_made_during_a_batch_are_collected_after_it():
    gc.enable()

    class Node:
        pass

    with batch_memory():
        node = Node()
        node.self = node  # type: ignore[attr-defined]
        ref = weakref.ref(node)
        del node
        for _ in range(10_000):  # allocations that would trigger collections
            [object()]
        assert ref() is not None  # none ran during the batch
    gc.collect()
    assert ref() is None
