"""Where the events and read models live, and how one process connects."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict


@dataclass(frozen=True)
class StoreConfig:
    """Where events and read models live (no database URL means SQLite files),
    and how this process connects: its pool size, how long it retries a store
    that does not answer, how long a statement may run. ``read_url`` names a
    streaming replica of the PostgreSQL database that readers use."""

    database_url: str | None = None
    data_dir: Path = Path("data")
    postgres_schema: str = ""
    inline_projection: bool | None = None
    pool_size: int = 4
    retry_budget: float = 2.0
    statement_timeout: float = 30.0
    read_url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def projects_inline(self) -> bool:
        """SQLite folds events in the web process; PostgreSQL leaves it to a worker."""
        if self.inline_projection is None:
            return not self.is_postgres
        return self.inline_projection

    @property
    def reads_from_replica(self) -> bool:
        return self.is_postgres and bool(self.read_url)

    def replica_environment(self) -> dict[str, str]:
        """The eventsourcing settings of the read replica's pool: the
        primary's (pool size, timeouts, schema), pointed at the replica."""
        pointed = replace(self, database_url=self.read_url, read_url=None)
        return pointed.environment() | {"APPLICATION_NAME": "appraisal-reads"}

    def environment(self) -> dict[str, str]:
        """The eventsourcing settings for the application and its views."""
        common = {"CREATE_TABLE": "no", "RETRY_BUDGET": str(self.retry_budget)}
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return common | {
                "PERSISTENCE_MODULE": "projections.persistence:SQLiteStore",
                "SQLITE_DBNAME": str(self.data_dir / "events.sqlite"),
            }
        params = conninfo_to_dict(self.database_url)
        return common | {
            "PERSISTENCE_MODULE": "projections.persistence:PostgresStore",
            "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
            "POSTGRES_HOST": str(params.get("host", "localhost")),
            "POSTGRES_PORT": str(params.get("port", "5432")),
            "POSTGRES_USER": str(params.get("user", "postgres")),
            "POSTGRES_PASSWORD": str(params.get("password", "")),
            "POSTGRES_SCHEMA": self.postgres_schema,
            # One connection kept open, up to pool_size under load; a request
            # waits for one no longer than it retries.
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": str(max(self.pool_size - 1, 0)),
            "POSTGRES_CONNECT_TIMEOUT": str(max(1, math.ceil(self.retry_budget))),
            "STATEMENT_TIMEOUT": str(self.statement_timeout),
        }
