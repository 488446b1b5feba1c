"""Cyclic garbage collection paused while a batch is worked.

A batch (a catch-up's thousand events, a thousand rows of a command or of an
import's chunk) builds tens of thousands of objects that all live until it
ends. Every young collection during the batch finds them alive and promotes
them, and each time the old generation has grown by a quarter Python walks the
whole heap: measured, a fifth of a load's time and a quarter of a rebuild's.
Paused, the batch's objects are freed by reference counting when it ends, as
nearly all of them are acyclic; the collector, enabled again, finds whatever
cycles it left at its next young collection. Memory stays bounded by a batch.

The pause is process-wide (``gc`` is), so it is counted: threads working
batches at once resume collection when the last of them ends, and a process
that disabled collection itself keeps it disabled.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_working = 0
_resume = False


@contextmanager
def batch_memory() -> Iterator[None]:
    """Pause cyclic garbage collection for the ``with`` block."""
    global _working, _resume
    with _lock:
        if _working == 0:
            _resume = gc.isenabled()
            gc.disable()
        _working += 1
    try:
        yield
    finally:
        with _lock:
            _working -= 1
            if _working == 0 and _resume:
                gc.enable()
