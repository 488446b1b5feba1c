"""Configuration: every setting the service reads from the environment, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.application import DEFAULT_TIMEZONE
from projections.runtime import StoreConfig

# Environment variable -> setting. docker-compose.yml and the README use these names.
ENVIRONMENT = {
    "DATABASE_URL": "database_url",
    "APPRAISAL_DATA_DIR": "data_dir",
    "APPRAISAL_POSTGRES_SCHEMA": "postgres_schema",
    "APPRAISAL_TIMEZONE": "timezone",
    "APPRAISAL_READ_TIMEOUT": "read_timeout",
    "APPRAISAL_INLINE_PROJECTION": "inline_projection",
}


class ConfigError(ValueError):
    """Raised when a setting has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path("data")
    postgres_schema: str = ""
    timezone: str = DEFAULT_TIMEZONE
    read_timeout: float = 5.0
    inline_projection: bool | None = None

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
        return settings

    @property
    def store(self) -> StoreConfig:
        return StoreConfig(
            database_url=self.database_url,
            data_dir=self.data_dir,
            postgres_schema=self.postgres_schema,
            inline_projection=self.inline_projection,
        )


def _convert(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return Path(value) if name == "data_dir" else value
    try:
        if name == "data_dir":
            return Path(value)
        if name == "read_timeout":
            return float(value)
        if name == "inline_projection":
            return _boolean(value)
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
