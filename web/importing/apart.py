"""The process a big import runs in on SQLite: ``python -m web.importing.apart``.

A worker's threads share one interpreter lock: an import parsing, recording
and folding rows in a thread of the worker took half of every request's turns
(a scorecard's p99 beside a 56,000-row import was 20 times its p99 without
it). So on SQLite (the embedded default, where the worker also folds the read
models) the worker's job thread starts this process and follows it
(``jobs.follow``). It reads its order (``jobs.Order``) from standard input,
opens a runtime of its own with the worker's settings and runs ``jobs.run``
there: the same chunks, job progress, folding and scoring. SIGTERM stops it
between two chunks (the job is then ``interrupted``). It runs at a lower
priority (``NICENESS``): when the cores are busy, requests come first.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
from types import FrameType

from web.importing.jobs import Order, run

NICENESS = 10


def main() -> int:
    """Import the order read from standard input."""
    logging.basicConfig(level=logging.INFO)
    os.nice(NICENESS)
    order: Order = pickle.loads(sys.stdin.buffer.read())  # from the worker
    runtime = order.settings.open_runtime()

    def stop(signum: int, frame: FrameType | None) -> None:
        runtime.closing.set()  # the import stops between two chunks

    signal.signal(signal.SIGTERM, stop)
    try:
        job = runtime.import_jobs.get(order.job_id)
        if job is not None:
            run(runtime, job, order.path, order.form, order.principal, order.charset)
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
