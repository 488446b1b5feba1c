"""The faults ``bench.soak`` injects while the load runs: the projector
killed and a new one started, PostgreSQL restarted."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bench.soak_clients import Load
from bench.soak_service import Service
from tests.pgserver import ThrowawayPostgres

PROJECTOR_DOWN = 2.0  # seconds between killing the projector and a new one


@dataclass(frozen=True)
class Fault:
    what: str
    began: float
    ended: float


def inject_faults(
    load: Load, service: Service, server: ThrowawayPostgres, seconds: float
) -> list[Fault]:
    """At 1/3 and 2/3 of the run: kill the projector and start another, then,
    a few seconds on, restart PostgreSQL (fast, then immediate)."""
    faults: list[Fault] = []
    settle = min(5.0, seconds / 12)
    for share, mode in ((1 / 3, "fast"), (2 / 3, "immediate")):
        if load.stop.wait(max(share * seconds - load.elapsed(), 0)):
            break
        killed = f"projector killed (SIGKILL), a new one {PROJECTOR_DOWN:g} s later"
        faults.append(fault(load, killed, partial(restart_projector, service)))
        load.stop.wait(settle)
        restarted = f"PostgreSQL restart {mode}"
        faults.append(fault(load, restarted, partial(server.restart, mode)))
    return faults


def restart_projector(service: Service) -> None:
    service.kill_projector()
    time.sleep(PROJECTOR_DOWN)
    service.start_projector()


def fault(load: Load, what: str, action: Callable[[], None]) -> Fault:
    began = load.elapsed()
    print(f"{began:7.1f} s  {what}", file=sys.stderr)
    action()
    return Fault(what, began, load.elapsed())
