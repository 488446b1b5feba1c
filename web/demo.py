"""A demo department: two teams, a dozen agents, deductions in the three months
before the current one.

Everything has a deterministic id, so loading twice adds nothing.
"""

from __future__ import annotations

import json
import random
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, uuid5

from domain.access import Principal, Role, TokenRejectedError
from domain.commands import NewAgent, NewDeduction
from domain.errors import ConflictError
from domain.month import Month
from projections.runtime import Runtime, StoreConfig

TEAMS = {
    "presales": (
        "sup-zhang",
        ["Wang Fang", "Li Na", "Zhang Wei", "Liu Yang", "Chen Jing", "Yang Min"],
    ),
    "aftersales": (
        "sup-li",
        ["Zhao Lei", "Huang Ying", "Zhou Jie", "Wu Xia", "Xu Tao", "Sun Li"],
    ),
}
# Rule items drawn for demo deductions, with how often each is drawn.
ITEMS = {
    "complaint": 5,
    "slow_reply": 6,
    "script_not_used": 4,
    "late_early": 6,
    "follow_up_missed": 3,
    "order_submit_error": 3,
    "order_process_error": 3,
    "target_missed": 2,
    "leave_day": 2,
}
"""Items of both editions of songsong-2019 (a fresh store starts on v2)."""
ONCE_A_MONTH = {"target_missed"}
DEMO_USERS = [
    ("admin", Role.ADMIN, None),
    ("sup-zhang", Role.SUPERVISOR, "presales"),
    ("sup-li", Role.SUPERVISOR, "aftersales"),
    ("auditor", Role.AUDITOR, None),
    ("CS-101", Role.AGENT, None),
]
_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:demo")


@dataclass(frozen=True)
class DemoLoad:
    agents_added: int
    deductions_added: int
    tokens: dict[str, str]
    tokens_file: Path


def demo_months(today: date) -> list[Month]:
    """The three months before today's."""
    last = Month.of(today).previous()
    return [last.previous().previous(), last.previous(), last]


def roster(today: date) -> list[NewAgent]:
    """Agents who joined seven months before the first demo month."""
    first = demo_months(today)[0]
    joined = Month(first.year - (first.month <= 7), (first.month - 8) % 12 + 1)
    agents = []
    for number, (team, (supervisor, names)) in enumerate(TEAMS.items(), start=1):
        for index, name in enumerate(names, start=1):
            agent_id = f"CS-{number}{index:02d}"
            agents.append(
                NewAgent(
                    agent_id, name, team, supervisor, joined.first_day.replace(day=5)
                )
            )
    return agents


def deductions(agents: list[NewAgent], today: date) -> dict[str, list[NewDeduction]]:
    """Deterministic deductions per supervisor; each team's first agent is spotless."""
    draw = random.Random(2019)
    codes, weights = list(ITEMS), list(ITEMS.values())
    batches: dict[str, list[NewDeduction]] = {}
    for agent in agents:
        if agent.agent_id.endswith("01"):
            continue
        for month in demo_months(today):
            drawn = draw.choices(codes, weights, k=draw.randint(0, 6))
            seen: set[str] = set()
            for n, code in enumerate(drawn):
                if code in ONCE_A_MONTH and code in seen:
                    continue
                seen.add(code)
                day = draw.randint(1, month.last_day.day)
                batches.setdefault(agent.supervisor, []).append(
                    NewDeduction(
                        agent_id=agent.agent_id,
                        item=code,
                        occurred_on=date(month.year, month.month, day),
                        note="demo",
                        deduction_id=uuid5(_NAMESPACE, f"{agent.agent_id}/{month}/{n}"),
                    )
                )
    return batches


def load_demo(runtime: Runtime, data_dir: Path) -> DemoLoad:
    app = runtime.app
    today = app.today()
    agents = roster(today)
    agents_added = deductions_added = 0
    with suppress(ConflictError):  # already loaded
        agents_added = len(app.register_agents(Principal("demo", Role.ADMIN), agents))
    for supervisor, batch in deductions(agents, today).items():
        team = next(t for t, (s, _) in TEAMS.items() if s == supervisor)
        try:
            recorded = app.record_deductions(
                Principal(supervisor, Role.SUPERVISOR, team), batch
            )
            deductions_added += len(recorded)
        except ConflictError:
            pass
    runtime.after_command()
    tokens_file = data_dir / "demo-tokens.json"
    return DemoLoad(
        agents_added, deductions_added, _tokens(runtime, tokens_file), tokens_file
    )


def _tokens(runtime: Runtime, path: Path) -> dict[str, str]:
    """Demo tokens are kept beside the demo data and printed again while they
    are valid on this store. A file left by a demo on another store (SQLite
    files, then PostgreSQL), or tokens that expired or were revoked, are
    replaced by tokens issued on this store."""
    if path.exists():
        kept = dict(json.loads(path.read_text(encoding="utf-8")))
        if _valid_here(runtime, kept):
            return kept
    tokens = {
        f"{role.value}:{user}": runtime.app.issue_token(user, role, team, "demo").token
        for user, role, team in DEMO_USERS
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return tokens


def _valid_here(runtime: Runtime, tokens: dict[str, str]) -> bool:
    """Every demo user has a token this store accepts as that user."""
    for user, role, team in DEMO_USERS:
        token = tokens.get(f"{role.value}:{user}")
        try:
            found = runtime.app.authenticate(token) if token else None
        except TokenRejectedError:  # expired or revoked
            return False
        if found != Principal(user, role, team):
            return False
    return True


def store_name(config: StoreConfig) -> str:
    """The store the demo was loaded into, without its password."""
    if not config.database_url:
        return f"SQLite files in {config.data_dir}"
    url = urlsplit(config.database_url)
    schema = config.postgres_schema or "public"
    return f"PostgreSQL {url.hostname}:{url.port or 5432}{url.path}, schema {schema}"
