"""Webhook deliveries: how fast ``appraisal deliver`` posts what the outbox
queued, beside the raw HTTP POST rate of the same receiver measured in the
same run, and how long a moment takes from its event to its receiver.

    python -m bench.deliveries --moments 600 --subscriptions 4

Phase 1 (the floor): the receiver is posted the bodies the dispatcher will
send, straight from a pool of as many threads as the dispatcher has, with no
store in between. Phase 2 (throughput): months are closed and the outbox
folded with no dispatcher running; then one is started and timed until every
delivery is recorded delivered. Phase 3 (delay): with a projector and the
dispatcher running, months are closed one at a time, at a steady pace; each
delay is from the event's time to the moment its post reached the receiver.

The receiver is a local ``ThreadingHTTPServer`` answering 200 at once, so
the figures are the dispatcher's own cost: claiming, reading the outbox,
building and signing bodies, recording attempts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench import common
from bench.common import BenchError, Figure, Timing
from domain.month import Month
from domain.webhook_commands import NewWebhook
from projections.deliveries import DELIVERED
from projections.dispatcher import DeliverySettings, Dispatcher
from projections.payloads import body as payload
from projections.runtime import Runtime, StoreConfig

FIRST_MONTH = Month(2000, 1)
DELAY_PACE = 0.05
"""Seconds between the moments of phase 3."""


class Receiver:
    """Answers every POST 200 at once; notes when each delivery arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                delivery = self.headers.get("X-Appraisal-Delivery")
                with receiver.lock:
                    receiver.count += 1
                    if delivery:
                        receiver.arrived.setdefault(delivery, time.time())
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class Results:
    floor: Timing
    product: Timing
    delays: list[float]
    workers: int


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.deliveries", description=__doc__.split("\n\n")[0]
    )
    # Each moment closes a month of its own, from 2000-01: together they must
    # end before the current month (300 reach 2024-12).
    parser.add_argument("--moments", type=common.positive, default=250)
    parser.add_argument("--subscriptions", type=common.positive, default=4)
    parser.add_argument("--delay-moments", type=common.positive, default=50)
    parser.add_argument("--workers", type=common.positive, default=8)
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--batch", type=common.positive, default=1)
    return parser.parse_args(argv)


def months(count: int, after: int = 0) -> list[Month]:
    """``count`` months from the ``after``-th after the first."""
    found, month = [], FIRST_MONTH
    for _ in range(after):
        month = month.next()
    for _ in range(count):
        found.append(month)
        month = month.next()
    return found


def _floor(receiver: Receiver, body: bytes, requests: int, workers: int) -> Timing:
    """Raw POSTs of ``body`` to the receiver from ``workers`` threads."""
    headers = {"Content-Type": "application/json; charset=utf-8"}

    def post(_: int) -> None:
        request = urllib.request.Request(
            receiver.url, data=body, headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            answer.read()

    with ThreadPoolExecutor(workers) as pool:
        _, seconds = common.measured(lambda: list(pool.map(post, range(requests))))
    return Timing("raw HTTP POST, same receiver", requests, seconds)


def _delivered(runtime: Runtime, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states = runtime.deliveries.states(ids)
        done = sum(s.status == DELIVERED for s in states.values())
        if done == len(ids):
            return
        if time.monotonic() > deadline:
            raise BenchError(f"{done} of {len(ids)} deliveries delivered in time")
        time.sleep(0.01)


def run(url: str, args: argparse.Namespace, _batch: int) -> Results:
    config = StoreConfig(database_url=url)
    settings = DeliverySettings(workers=args.workers, poll=0.01)
    receiver = Receiver()
    runtime = Runtime(config)
    try:
        webhooks = [
            str(
                runtime.app.create_webhook(
                    common.PRINCIPAL,
                    NewWebhook(url=receiver.url, kinds=["period.closed"]),
                ).webhook_id
            )
            for _ in range(args.subscriptions)
        ]
        for month in months(args.moments):
            runtime.app.close_period(common.PRINCIPAL, month)
        runtime.catch_up()
        queued = [q for w in webhooks for q in runtime.view.outbox_of(w, 10**6)]
        sample = runtime.view.queued(queued[0]["delivery_id"])
        webhook = runtime.view.webhook(webhooks[0])
        floor = _floor(receiver, payload(sample, webhook), len(queued), args.workers)

        stop = threading.Event()
        dispatcher = Dispatcher(runtime, settings)
        thread = threading.Thread(target=dispatcher.run, args=(stop,), daemon=True)
        ids = [q["delivery_id"] for q in queued]
        started = time.perf_counter()
        thread.start()
        _delivered(runtime, ids, timeout=600)
        product = Timing("appraisal deliver", len(ids), time.perf_counter() - started)

        delays = _delays(config, runtime, receiver, args, webhooks)
        stop.set()
        thread.join(timeout=30)
        return Results(floor, product, delays, args.workers)
    finally:
        runtime.close()
        receiver.close()


def _delays(
    config: StoreConfig,
    runtime: Runtime,
    receiver: Receiver,
    args: argparse.Namespace,
    webhooks: list[str],
) -> list[float]:
    """Phase 3: a projector folds as months are closed one at a time; the
    seconds from each event to its first delivery's arrival."""
    projector = Runtime(config)
    stop = threading.Event()
    thread = threading.Thread(
        target=projector.run_projector, args=(stop,), kwargs={"poll": 0.01},
        daemon=True,
    )  # fmt: skip
    thread.start()
    try:
        paced = months(args.delay_moments, after=args.moments)
        first = str(paced[0])
        for month in paced:
            runtime.app.close_period(common.PRINCIPAL, month)
            time.sleep(DELAY_PACE)
        deadline = time.monotonic() + 120
        while True:
            queued = projector.view.outbox_of(webhooks[0], args.delay_moments)
            fresh = [q for q in queued if q["month"] >= first]
            if len(fresh) == args.delay_moments and all(
                q["delivery_id"] in receiver.arrived for q in fresh
            ):
                break
            if time.monotonic() > deadline:
                raise BenchError("phase 3: not every moment was delivered in time")
            time.sleep(0.02)
        return [receiver.arrived[q["delivery_id"]] - _epoch(q["at"]) for q in fresh]
    finally:
        stop.set()
        thread.join(timeout=30)
        projector.close()


def _epoch(text: str) -> float:
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return moment.timestamp()


def figures(args: argparse.Namespace, _: object, results: Results) -> list[Figure]:
    return [
        Figure(
            "webhook deliveries (appraisal deliver)",
            results.product.rate,
            "deliveries/s",
            results.floor.phase,
            results.floor.rate,
            "posts/s",
        )
    ]


def report(args: argparse.Namespace, _: object, results: Results) -> str:
    delays = sorted(d * 1000 for d in results.delays)
    p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
    product, floor = results.product, results.floor
    return "\n".join(
        [
            f"webhook deliveries: {args.moments} moments x {args.subscriptions} "
            f"subscriptions, {results.workers} workers",
            f"  raw HTTP POST, same receiver   {floor.rate:>9,.0f} posts/s "
            f"({floor.events} in {floor.seconds:.2f} s)",
            f"  appraisal deliver              {product.rate:>9,.0f} deliveries/s "
            f"({product.events} in {product.seconds:.2f} s)",
            f"  share of the floor             {product.rate / floor.rate:>9.3f}",
            f"  event to delivery, ms ({len(delays)} moments, one every "
            f"{DELAY_PACE * 1000:.0f} ms): median {statistics.median(delays):.0f}, "
            f"p95 {p95:.0f}, max {delays[-1]:.0f}",
        ]
    )


def suite(args: argparse.Namespace) -> tuple[str, list[Figure]]:
    return common.suite(args, lambda: None, partial_run(args), report, figures)


def partial_run(args: argparse.Namespace) -> Any:
    return lambda url, _dataset, batch: run(url, args, batch)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return common.run_in_database(args, lambda: None, partial_run(args), report)


if __name__ == "__main__":
    sys.exit(main())
