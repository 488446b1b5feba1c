"""Soak with faults: the real service on a PostgreSQL server of its own, under
steady load, while its projector is killed and PostgreSQL is restarted.

    python -m bench.soak --minutes 5
    python -m bench.soak --minutes 0.5      # a quick run

Setup: a throwaway PostgreSQL server (``tests.pgserver.ThrowawayPostgres``;
the shared server at 127.0.0.1:5432 is never touched), a database,
``appraisal migrate``, an admin token, ``--agents`` agents in ``--teams``
teams registered through the API, then ``appraisal serve --workers 2`` and
``appraisal project`` as subprocesses.

Load: ``--clients`` threads, for ``--minutes``, each sending a random mix of
``POST /deductions`` (a unique note each, dated today as the service sees it),
``GET /agents/{id}/scorecards/{month}`` (with ``Min-Position`` of the client's
last acknowledged deduction: read-your-writes), ``GET /rankings/{month}`` and
``GET /health``. Every request times out after ``--timeout`` seconds and none
is retried; after a failure the client pauses 0.1 s.

Faults, at about 1/3 and 2/3 of the run: the projector is killed (SIGKILL)
and a new one started two seconds later; a few seconds on, PostgreSQL is
restarted, ``fast`` the first time, ``immediate`` the second.

Then the load stops, ``/health`` is polled until the read models include the
whole log, the notes are looked up in the events table, and a fresh view
(``soak_replay``) is folded from the whole log and compared with the live
read models.

Reading the output:

- the table: per kind of request, how many were sent, answered 2xx, 4xx or
  5xx, or not answered (connection error or timeout), and the latency p50 and
  p99 in ms over all of them, answered or not;
- faults: when each began and ended, in seconds since the load began;
- failures (5xx or no answer): each distinct cause (status and problem code,
  or the exception) per kind, with when it was first and last sent; failures
  sent outside every fault window (from ``--timeout`` s before a fault began
  to 10 s after it ended) are counted apart: there should be none;
- acknowledged: deductions answered 201; lost: acknowledged but whose note is
  not in the log; duplicated: notes recorded more than once; unacknowledged
  but recorded: not answered 201 yet in the log (allowed: the answer was lost,
  not the command);
- longest unavailability: the longest span from a request that failed to the
  next request sent that succeeded, nothing but failures sent in between;
- whether the read models caught up, and how long after the load; processes
  that ended by themselves (not killed by the soak);
- whether the replay matches the live read models, scorecard by scorecard,
  (the first differences if it does not match).

Exit status 1 if a deduction was lost or duplicated, the read models did not
catch up, a process ended by itself, or the replay differs. Every process
started, and the server with its files, is stopped and removed at the end,
also on errors, SIGTERM and Ctrl-C.

The client mix is ``bench.soak_clients``; the service's processes and what its
store holds afterwards, ``bench.soak_service``; the faults, ``bench.soak_faults``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import BenchError, positive, raise_on_sigterm, server_version
from bench.soak_clients import KINDS, Load, Sample, running
from bench.soak_faults import Fault, inject_faults
from bench.soak_service import (
    Replay,
    Service,
    recorded_notes,
    register_agents,
    replay_check,
    wait_caught_up,
)
from tests.pgserver import ThrowawayPostgres

GRACE = 10.0  # seconds after a fault's end its failures are still its own
CATCH_UP_LIMIT = 120.0  # seconds the read models get to include the log


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--minutes", type=positive_float, default=5.0)
    parser.add_argument("--clients", type=positive, default=8)
    parser.add_argument("--agents", type=positive, default=40)
    parser.add_argument("--teams", type=positive, default=4)
    parser.add_argument("--timeout", type=positive_float, default=10.0)
    parser.add_argument("--seed", type=int, default=2024)
    return parser.parse_args(argv)


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


# The whole run


@dataclass(frozen=True)
class Outcome:
    samples: list[Sample]
    faults: list[Fault]
    notes: Counter[str]
    caught_up: tuple[bool, str, float]  # whether, where, seconds after the load
    replay: Replay
    dead: list[str]
    version: str

    def notes_of(self, acknowledged: bool) -> set[str]:
        return {
            s.note
            for s in self.samples
            if s.note is not None and (s.status == 201) == acknowledged
        }

    @property
    def lost(self) -> list[str]:
        return sorted(n for n in self.notes_of(True) if not self.notes[n])

    @property
    def duplicated(self) -> list[str]:
        return sorted(n for n, count in self.notes.items() if count > 1)

    @property
    def passed(self) -> bool:
        return (
            not self.lost
            and not self.duplicated
            and self.caught_up[0]
            and self.replay.matches
            and not self.dead
        )


def soak(args: argparse.Namespace) -> Outcome:
    """Everything on a throwaway server, in a temporary directory; both
    removed on the way out, whatever happened."""
    with (
        ThrowawayPostgres() as server,
        tempfile.TemporaryDirectory(prefix="appraisal-soak-") as tmp,
    ):
        url = server.create_database("appraisal_soak")
        service = Service(url, Path(tmp))
        with closing(service), logs_on_error(service):
            return exercise(args, server, service, url)


@contextmanager
def logs_on_error(service: Service) -> Iterator[None]:
    try:
        yield
    except Exception:
        print(service.tails(), file=sys.stderr)
        raise


def exercise(
    args: argparse.Namespace, server: ThrowawayPostgres, service: Service, url: str
) -> Outcome:
    service.run("migrate")
    issued = service.run("token", "issue", "--user", "admin", "--role", "admin")
    token = issued.strip().splitlines()[-1]
    service.serve()
    agents = register_agents(service, token, args.agents, args.teams)
    service.start_projector()
    ready, where = wait_caught_up(service, 60)
    if not ready:
        raise BenchError(f"the read models did not catch up before the load: {where}")
    load = Load(service.base, token, agents, args.timeout)
    seconds = args.minutes * 60
    print(f"load: {args.clients} clients for {seconds:.0f} s", file=sys.stderr)
    with running(load, args.clients, args.seed):
        faults = inject_faults(load, service, server, seconds)
        load.stop.wait(max(seconds - load.elapsed(), 0))
    stopped = time.monotonic()
    caught_up, where = wait_caught_up(service, CATCH_UP_LIMIT)
    return Outcome(
        samples=sorted(load.samples, key=lambda s: s.sent),
        faults=faults,
        notes=recorded_notes(url),
        caught_up=(caught_up, where, time.monotonic() - stopped),
        replay=replay_check(url),
        dead=service.dead(),
        version=server_version(url),
    )


# Report


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank; 0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def kind_table(samples: Sequence[Sample]) -> list[str]:
    lines = [
        f"{'kind':<10} {'sent':>7} {'2xx':>7} {'4xx':>6} {'5xx':>6} "
        f"{'no answer':>9} {'p50 ms':>8} {'p99 ms':>8}",
        f"{'-' * 10} {'-' * 7} {'-' * 7} {'-' * 6} {'-' * 6} {'-' * 9} "
        f"{'-' * 8} {'-' * 8}",
    ]
    for kind in (*KINDS, "all"):
        chosen = [s for s in samples if kind in ("all", s.kind)]
        statuses = Counter((s.status or 0) // 100 for s in chosen)
        ms = [s.latency * 1000 for s in chosen]
        lines.append(
            f"{kind:<10} {len(chosen):>7} {statuses[2]:>7} {statuses[4]:>6} "
            f"{statuses[5]:>6} {statuses[0]:>9} {percentile(ms, 0.5):>8.1f} "
            f"{percentile(ms, 0.99):>8.1f}"
        )
    return lines


def failure_lines(
    samples: Sequence[Sample], faults: Sequence[Fault], timeout: float
) -> list[str]:
    """Each distinct failure per kind, when seen; those outside every fault."""
    failed = [s for s in samples if s.failed]
    seen: dict[tuple[str, str], list[float]] = {}
    for s in failed:
        seen.setdefault((s.cause, s.kind), []).append(s.sent)
    lines = [
        f"  {cause:<28} {kind:<10} {len(times):>6}   "
        f"{min(times):7.1f} s to {max(times):7.1f} s"
        for (cause, kind), times in sorted(seen.items(), key=lambda i: i[1][0])
    ]
    outside = [
        s
        for s in failed
        if not any(f.began - timeout <= s.sent <= f.ended + GRACE for f in faults)
    ]
    summary = f"  outside the fault windows: {len(outside)}"
    if outside:
        first = outside[0]
        summary += f", the first {first.kind} {first.cause} at {first.sent:.1f} s"
    return [*(lines or ["  none"]), summary]


def longest_unavailability(samples: Sequence[Sample]) -> tuple[float, float]:
    """(seconds, when): the longest span from a failed request to the next
    request sent that succeeded, only failures sent in between."""
    longest, began = (0.0, 0.0), None
    for s in samples:  # in the order sent
        if s.failed and began is None:
            began = s.sent
        elif not s.failed and began is not None:
            longest, began = max(longest, (s.sent - began, began)), None
    if began is not None:
        end = max(s.sent + s.latency for s in samples)
        longest = max(longest, (end - began, began))
    return longest


def report(args: argparse.Namespace, outcome: Outcome) -> str:
    samples = outcome.samples
    seconds = max((s.sent + s.latency for s in samples), default=0.0)
    lines = [
        f"PostgreSQL {outcome.version} (throwaway); {seconds:.0f} s of load, "
        f"{args.clients} clients, {args.agents} agents in {args.teams} teams, "
        f"timeout {args.timeout:g} s, {len(samples) / (seconds or 1):.0f} requests/s",
        "",
        *kind_table(samples),
        "",
        "faults (seconds since the load began):",
        *(f"  {f.began:7.1f} to {f.ended:7.1f}  {f.what}" for f in outcome.faults),
        "failures (5xx or no answer): cause, kind, count, first to last sent:",
        *failure_lines(samples, outcome.faults, args.timeout),
        "",
        *verdict_lines(outcome),
    ]
    return "\n".join(lines)


def verdict_lines(outcome: Outcome) -> list[str]:
    unacknowledged = [n for n in outcome.notes_of(False) if outcome.notes[n]]
    down, since = longest_unavailability(outcome.samples)
    unavailable = f"{down:.2f} s (from {since:.1f} s)" if down else "none"
    caught_up, where, after = outcome.caught_up
    replay = outcome.replay
    lines = [
        f"acknowledged deductions (201):      {len(outcome.notes_of(True))}",
        f"lost (acknowledged, not in the log): {len(outcome.lost)}",
        f"duplicated (a note recorded twice+): {len(outcome.duplicated)}",
        f"unacknowledged but recorded:         {len(unacknowledged)}",
        f"longest unavailability:              {unavailable}",
        f"read models caught up: {yes(caught_up)} ({where}) "
        f"{after:.1f} s after the load",
        f"processes that ended by themselves: {', '.join(outcome.dead) or 'none'}",
        f"replay matches live read models: {yes(replay.matches)} "
        f"({replay.scorecards} scorecards, positions live {replay.positions[0]}, "
        f"replay {replay.positions[1]})",
    ]
    lines += [f"  {d}" for d in replay.differences[:5]]
    lines += [f"  lost: {n}" for n in outcome.lost[:5]]
    lines += [f"  duplicated: {n} x{outcome.notes[n]}" for n in outcome.duplicated[:5]]
    return lines


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raise_on_sigterm()
    try:
        outcome = soak(args)
    except BenchError as error:
        print(f"soak failed: {error}", file=sys.stderr)
        return 1
    print(report(args, outcome))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
