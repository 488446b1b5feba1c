"""Benchmark: a rule change reaching into the past, rebuilt the way the product does it.

    python -m bench.rule_change --agents 400 --events 200000 --batch 1000

Works in a database of its own like ``bench.load_and_rebuild`` (see
``bench.common``). Context, timed but not a baseline: the synthetic year is
loaded through ``AppraisalApp.record_deductions`` in batches of ``--batch``,
then ``Runtime.catch_up`` brings the live read models up to date. Timed:

1. rule change: ``AppraisalApp.request_rebuild`` with a copy of songsong-2019
   whose ``complaint`` costs -5 instead of -3 from 2025-04, then
   ``projections.rebuild.run``: a new generation folded from position 0,
   compared with the live one, readers switched to it;
2. baseline: a raw keyset scan of the events table in pages of ``--batch``,
   touching every row's state (its length);
3. baseline: the same scan, also decoding every row's state with ``json.loads``
   (closer to a rebuild, which decodes every event before folding it).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from functools import partial
from typing import Any
from uuid import UUID

from psycopg.conninfo import conninfo_to_dict
from tqdm import tqdm

from bench import common, synthetic
from bench.common import BenchError, Timing
from domain.commands import RebuildRequested
from domain.month import Month
from domain.rulebook import Rulebook, shipped_document
from projections import audit, rebuild
from projections.runtime import Runtime, StoreConfig

RULEBOOK_ID = "songsong-2019"
CHANGED_ITEM = "complaint"
OLD_POINTS = "-3"
NEW_POINTS = "-5"
EFFECTIVE_FROM = Month(2025, 4)
DECODING_SCAN = "baseline: keyset scan + json.loads"
HASHING_SCAN = "baseline: keyset scan + sha256"
PHASE_WIDTH = len("verify / keyset scan + sha256") + 8


@dataclass(frozen=True)
class Results:
    load: Timing
    catch_up: Timing
    rebuild: Timing
    scan: Timing
    decoding_scan: Timing
    chain: Timing
    verify: Timing
    hashing_scan: Timing
    batch_seconds: tuple[float, ...]
    rebuild_id: UUID
    generation: int
    result: dict[str, Any]
    server_version: str

    @property
    def timings(self) -> tuple[Timing, ...]:
        return (
            self.load,
            self.catch_up,
            self.rebuild,
            self.scan,
            self.decoding_scan,
            self.chain,
            self.verify,
            self.hashing_scan,
        )


# Command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = common.argument_parser(
        "python -m bench.rule_change", __doc__, events=200_000, agents=400
    )
    return parser.parse_args(argv)


# The rule change


def changed_rulebook() -> Rulebook:
    """songsong-2019 with a complaint costing -5 points instead of -3."""
    document = copy.deepcopy(shipped_document(RULEBOOK_ID))
    items = [
        item
        for category in document["categories"]
        for item in category.get("items", [])
        if item.get("code") == CHANGED_ITEM
    ]
    if len(items) != 1 or str(items[0].get("points")) != OLD_POINTS:
        raise BenchError(
            f"{RULEBOOK_ID} has no single {CHANGED_ITEM!r} item of {OLD_POINTS} points"
        )
    items[0]["points"] = NEW_POINTS
    return Rulebook.from_dict(document)


# Context: the live read models


def catch_up_live(runtime: Runtime) -> Timing:
    """Fold the whole log into the (empty) live view."""
    if runtime.position != 0:
        raise BenchError(
            f"the live view is at position {runtime.position} before catching up; "
            "it must be empty (PostgreSQL mode does not project inline)"
        )
    seconds = common.timed(runtime.catch_up)
    if runtime.position != runtime.head:
        raise BenchError(f"live view at {runtime.position}, log at {runtime.head}")
    return Timing("live catch_up (context)", runtime.position, seconds)


# Phase 1: the rule-change rebuild


def rule_change(runtime: Runtime) -> tuple[Timing, UUID, int]:
    """Request the rebuild and run it to the switch, with a progress bar."""
    rulebook = changed_rulebook()
    bar = tqdm(total=runtime.head, desc="rebuild", unit="ev", file=sys.stderr)
    requested: RebuildRequested | None = None

    def advance(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    def request_and_run() -> None:
        nonlocal requested
        requested = runtime.app.request_rebuild(
            common.PRINCIPAL, rulebook, EFFECTIVE_FROM
        )
        rebuild.run(runtime, requested.rebuild_id, advance)

    with bar:
        seconds = common.timed(request_and_run)
    if requested is None:
        raise BenchError("no rebuild was requested")
    folded = runtime.position_of(runtime.view_for(requested.generation))
    if folded != runtime.head:
        raise BenchError(f"new generation at {folded}, log at {runtime.head}")
    timing = Timing("rule change rebuild", folded, seconds)
    return timing, requested.rebuild_id, requested.generation


def verify_rebuild(
    runtime: Runtime, rebuild_id: UUID, generation: int
) -> dict[str, Any]:
    """Readers are on the new generation and the change moved some scores,
    none before the month it is effective from; the rebuild's result."""
    if runtime.live_generation != generation:
        raise BenchError(
            f"readers are on generation {runtime.live_generation}, not {generation}"
        )
    result = runtime.app.get_rebuild(rebuild_id).result
    summary = result.get("summary", {})
    if not summary.get("agents_changed"):
        raise BenchError(f"the rule change changed no agent's score: {summary}")
    early = [m for m in summary["months_changed"] if m < str(EFFECTIVE_FROM)]
    if early:
        raise BenchError(f"months before {EFFECTIVE_FROM} changed: {early}")
    return result


# The whole run


def hashed(state: bytes) -> int:
    return len(hashlib.sha256(state).digest())


def tamper_evidence(runtime: Runtime) -> tuple[Timing, Timing]:
    """Link the synthetic year into the hash chain, then verify all of it."""
    events, chained = common.measured(runtime.chain.extend)
    result, verified = common.measured(lambda: audit.verify(runtime))
    if not result.ok:
        raise common.BenchError(f"verification failed: {result.first_bad}")
    return (
        Timing("hash chain: link every event", events, chained),
        Timing("verify the whole log", result.events, verified),
    )


def run(url: str, dataset: synthetic.Dataset, batch: int) -> Results:
    runtime = Runtime(StoreConfig(database_url=url))
    with closing(runtime):
        load, batch_seconds = common.load_through_application(runtime, dataset, batch)
        print("catching up the live read models ...", file=sys.stderr)
        caught_up = catch_up_live(runtime)
        rebuilt, rebuild_id, generation = rule_change(runtime)
        result = verify_rebuild(runtime, rebuild_id, generation)
        scan = common.keyset_scan(url, batch)
        decoding = common.keyset_scan(
            url, batch, touch=common.decoded_fields, phase=DECODING_SCAN
        )
        chain, verified = tamper_evidence(runtime)
        hashing = common.keyset_scan(url, batch, touch=hashed, phase=HASHING_SCAN)
    return Results(
        load=replace(load, phase=f"{load.phase} (context)"),
        catch_up=caught_up,
        rebuild=rebuilt,
        scan=scan,
        decoding_scan=decoding,
        chain=chain,
        verify=verified,
        hashing_scan=hashing,
        batch_seconds=batch_seconds,
        rebuild_id=rebuild_id,
        generation=generation,
        result=result,
        server_version=common.server_version(url),
    )


# Report


def _ratios(res: Results, width: int) -> list[str]:
    return [
        "ratios (rebuild seconds per baseline second, per event):",
        common.ratio("rebuild / keyset scan", res.rebuild, res.scan, width),
        common.ratio(
            f"rebuild / {DECODING_SCAN[10:]}", res.rebuild, res.decoding_scan, width
        ),
        common.ratio("rebuild / live catch_up", res.rebuild, res.catch_up, width),
        common.ratio(
            "verify / keyset scan + sha256", res.verify, res.hashing_scan, width
        ),
    ]


def report(args: argparse.Namespace, dataset: synthetic.Dataset, res: Results) -> str:
    host = conninfo_to_dict(args.database_url).get("host", "?")
    summary = res.result["summary"]
    months = summary["months_changed"]
    width = PHASE_WIDTH
    lines = [
        f"PostgreSQL {res.server_version} at {host}; {len(dataset.deductions)} "
        f"deductions, {len(dataset.agents)} agents in {len(dataset.teams)} teams, "
        f"{len(dataset.agent_months())} agent-months, batch {args.batch}, "
        f"seed {dataset.seed}",
        f"rule change: {RULEBOOK_ID} {CHANGED_ITEM} {OLD_POINTS} -> {NEW_POINTS} "
        f"from {EFFECTIVE_FROM}, generation {res.generation}",
        "",
        f"{'phase':<{width}} {'events':>9} {'seconds':>9} {'events/s':>10}",
        f"{'-' * width} {'-' * 9} {'-' * 9} {'-' * 10}",
    ]
    lines += [
        f"{t.phase:<{width}} {t.events:>9} {t.seconds:>9.2f} {t.rate:>10.0f}"
        for t in res.timings
    ]
    lines += [
        "",
        *_ratios(res, width),
        "",
        f"rebuild {res.rebuild_id}: live_generation {res.generation}, "
        f"agents_changed {summary['agents_changed']}, "
        f"agent_months_changed {summary['agent_months_changed']}, "
        f"months_changed {months[0]}..{months[-1]} ({len(months)}), "
        f"digest {res.result['digest'][:12]}",
        common.batch_summary(res.batch_seconds),
        f"peak RSS: {common.peak_rss_mib():.1f} MiB",
    ]
    return "\n".join(lines)


def figures(
    args: argparse.Namespace, dataset: synthetic.Dataset, res: Results
) -> list[common.Figure]:
    events = res.rebuild.events
    return [
        common.Figure.of(f"rebuild {events} events", res.rebuild, res.scan, "events/s"),
        common.Figure.of(
            f"rebuild {events} events", res.rebuild, res.decoding_scan, "events/s"
        ),
        common.Figure.of(
            f"verify the chain of {res.verify.events} events",
            res.verify,
            res.hashing_scan,
            "events/s",
        ),
    ]


def suite(args: argparse.Namespace) -> tuple[str, list[common.Figure]]:
    return common.suite(
        args, partial(common.synthetic_year, args), run, report, figures
    )


def main(argv: Sequence[str] | None = None) -> int:
    return common.run_in_fresh_database(parse_args(argv), run, report)


if __name__ == "__main__":
    sys.exit(main())
