"""Configuration: every setting the service reads from the environment, in one place."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.clock import DEFAULT_TIMEZONE, business_date, company_today, parse_today
from domain.month import Month, MonthRange
from projections.dispatcher import DeliverySettings
from projections.runtime import Runtime, StoreConfig

# Environment variable -> setting. docker-compose.yml and the README use these names.
ENVIRONMENT = {
    "DATABASE_URL": "database_url",
    "DATABASE_READ_URL": "database_read_url",
    "APPRAISAL_DATA_DIR": "data_dir",
    "APPRAISAL_POSTGRES_SCHEMA": "postgres_schema",
    "APPRAISAL_TIMEZONE": "timezone",
    "APPRAISAL_READ_TIMEOUT": "read_timeout",
    "APPRAISAL_INLINE_PROJECTION": "inline_projection",
    "APPRAISAL_DB_POOL_SIZE": "db_pool_size",
    "APPRAISAL_PROJECTOR_POOL_SIZE": "projector_pool_size",
    "APPRAISAL_DB_TIMEOUT": "db_timeout",
    "APPRAISAL_STATEMENT_TIMEOUT": "statement_timeout",
    "APPRAISAL_FIRST_MONTH": "first_month",
    "APPRAISAL_LAST_MONTH": "last_month",
    "APPRAISAL_TODAY": "today",
    "APPRAISAL_CHECKPOINT_KEY": "checkpoint_key",
    "APPRAISAL_AUTH_FAILURES_PER_MINUTE": "auth_failures_per_minute",
    "APPRAISAL_PUBLIC_URL": "public_url",
    "APPRAISAL_WEBHOOK_TIMEOUT": "webhook_timeout",
    "APPRAISAL_WEBHOOK_MAX_ATTEMPTS": "webhook_max_attempts",
    "APPRAISAL_WEBHOOK_RETRY_HOURS": "webhook_retry_hours",
    "APPRAISAL_WEBHOOK_FIRST_RETRY": "webhook_first_retry",
    "APPRAISAL_WEBHOOK_BACKLOG_SECONDS": "webhook_backlog_seconds",
}


class ConfigError(ValueError):
    """Raised when a setting has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    database_read_url: str | None = None
    """A streaming replica of ``database_url`` that GET requests read the
    read models from; commands, the projector and migrations use the primary."""
    data_dir: Path = Path("data")
    postgres_schema: str = ""
    timezone: str = DEFAULT_TIMEZONE
    read_timeout: float = 5.0
    inline_projection: bool | None = None
    db_pool_size: int = 4
    projector_pool_size: int = 2
    db_timeout: float = 2.0
    statement_timeout: float = 30.0
    first_month: str = "2000-01"
    last_month: str = "2100-12"
    today: date | None = None
    """A pinned business date, for demonstrations and tests, or a pinned
    moment (a datetime) whose date in ``timezone`` is the business date;
    unset: the clock."""
    auth_failures_per_minute: int = 20
    checkpoint_key: str | None = field(default=None, repr=False)
    """The secret that signs hash-chain checkpoints (``appraisal verify
    --checkpoint``); keep a copy of it, and of the checkpoints, elsewhere."""
    public_url: str = ""
    """The API's address as receivers of webhooks reach it, for absolute links."""
    webhook_timeout: float = 5.0
    webhook_max_attempts: int = 20
    webhook_retry_hours: float = 24.0
    webhook_first_retry: float = 10.0
    webhook_backlog_seconds: float = 600.0
    """/health is degraded while a webhook delivery waits longer than this."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        given = {
            setting: environ[name]
            for name, setting in ENVIRONMENT.items()
            if environ.get(name, "").strip()
        }
        return cls().updated(given)

    def updated(self, values: Mapping[str, Any]) -> Settings:
        """A copy with ``values`` (strings from the environment or typed) applied."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(unknown)}")
        converted = {k: _convert(k, v) for k, v in values.items()}
        settings = replace(self, **converted)
        try:
            ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"unknown time zone {settings.timezone!r}") from None
        settings.months  # noqa: B018 - refuses months that are not months
        if settings.database_read_url and not settings.database_url:
            raise ConfigError(
                "database_read_url: a read replica needs DATABASE_URL (PostgreSQL)"
            )
        return settings

    @property
    def clock(self) -> Callable[[], date]:
        """Today's business date in the company's time zone (or the pinned one)."""
        if self.today is not None:
            pinned = business_date(self.today, self.timezone)
            return lambda: pinned
        return company_today(self.timezone)

    @property
    def months(self) -> MonthRange:
        """The months the service accepts facts, periods and reads for."""
        try:
            first, last = Month.parse(self.first_month), Month.parse(self.last_month)
        except ValueError as error:
            raise ConfigError(f"first_month/last_month: {error}") from None
        if last < first:
            raise ConfigError(f"last_month {last} is before first_month {first}")
        return MonthRange(first, last)

    @property
    def store(self) -> StoreConfig:
        """How the web workers and commands reach the store."""
        return StoreConfig(
            database_url=self.database_url,
            data_dir=self.data_dir,
            postgres_schema=self.postgres_schema,
            inline_projection=self.inline_projection,
            pool_size=self.db_pool_size,
            retry_budget=self.db_timeout,
            statement_timeout=self.statement_timeout,
            read_url=self.database_read_url,
        )

    def open_runtime(self, store: StoreConfig | None = None) -> Runtime:
        """The runtime of the web workers and commands: the store (or
        ``store``), the company's clock and the accepted months."""
        return Runtime(store or self.store, today=self.clock, months=self.months)

    @property
    def projector_store(self) -> StoreConfig:
        """How the projector reaches the store: a smaller pool (plus one
        connection that listens for new events), and no read replica: it
        writes."""
        return replace(self.store, pool_size=self.projector_pool_size, read_url=None)

    @property
    def delivery(self) -> DeliverySettings:
        """How the dispatcher (``appraisal deliver``) posts webhooks."""
        return DeliverySettings(
            timeout=self.webhook_timeout,
            max_attempts=self.webhook_max_attempts,
            retry_for=self.webhook_retry_hours * 3600,
            first_retry=self.webhook_first_retry,
            base_url=self.public_url,
        )


def _convert(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return Path(value) if name == "data_dir" else value
    try:
        if name == "data_dir":
            return Path(value)
        if name in {
            "read_timeout", "db_timeout", "statement_timeout", "webhook_timeout",
            "webhook_retry_hours", "webhook_first_retry", "webhook_backlog_seconds",
        }:  # fmt: skip
            number = float(value)
            if not 0 < number < 3600:
                raise ValueError(value)
            return number
        if name in {
            "db_pool_size", "projector_pool_size", "auth_failures_per_minute",
            "webhook_max_attempts",
        }:  # fmt: skip
            size = int(value)
            if not 1 <= size <= 10_000:
                raise ValueError(value)
            return size
        if name == "inline_projection":
            return _boolean(value)
        if name == "today":
            return parse_today(value.strip())
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a valid value") from None
    return value


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)
