"""Creating the store's tables, indexes and triggers: one explicit step.

``appraisal migrate`` creates whatever is missing; every process that opens
the store (the API, the projector, a CLI command) first asks the catalogue
whether anything is missing, which reads the catalogue and locks nothing, and
migrates only if so. A migration holds an advisory lock (one process at a
time), runs each statement in a transaction of its own, and creates only the
objects that do not exist, so it never takes a lock on a table in use: a web
worker or a command starting while the projector writes cannot deadlock it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import psycopg
import psycopg.sql

logger = logging.getLogger(__name__)
SCHEMA_LOCK_KEY = 0x61707072  # any constant shared by every process of this service


class SchemaMissingError(Exception):
    """Raised when the configured PostgreSQL schema does not exist."""


@dataclass(frozen=True)
class SchemaObject:
    """A table, index, function or trigger, and how to create it."""

    name: str
    exists: Callable[[set[str]], bool]
    create: Callable[[], None]


class SideTable:
    """A table beside the events (not a read model) in the events database:
    its name, schema-qualified on PostgreSQL, and the backend's parameter mark."""

    NAME: ClassVar[str]
    COLUMNS: ClassVar[str] = ""

    def __init__(self, datastore: Any, postgres: bool) -> None:
        self.datastore = datastore
        self.postgres = postgres
        self.table = f'"{datastore.schema}"."{self.NAME}"' if postgres else self.NAME
        self.mark = "%s" if postgres else "?"

    def columns(self) -> str:
        """The table's columns as ``CREATE TABLE`` lists them."""
        return self.COLUMNS

    def schema_objects_of(self) -> list[SchemaObject]:
        create = f"CREATE TABLE IF NOT EXISTS {self.table} ({self.columns()})"
        return [statement_object(self.datastore, self.table, create)]


class Component(Protocol):
    def schema_objects_of(self) -> Sequence[SchemaObject]: ...


def relations_present(datastore: Any, postgres: bool) -> set[str]:
    """Every table, index and trigger the catalogue knows, by name (PostgreSQL:
    schema-qualified and quoted as this service writes them)."""
    if not postgres:
        with datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT name FROM sqlite_master")
            return {row["name"] for row in cursor.fetchall()}
    with datastore.transaction(commit=False) as cursor:
        # Names as this service writes them: '"schema"."name"'.
        cursor.execute(
            'SELECT format(\'"%%s"."%%s"\', n.nspname, c.relname) AS name '
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s "
            'UNION ALL SELECT format(\'"%%s"."%%s"\', n.nspname, t.tgname) '
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND NOT t.tgisinternal "
            'UNION ALL SELECT format(\'"%%s"."%%s"\', n.nspname, p.proname) '
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s",
            (datastore.schema,) * 3,
        )
        return {row["name"] for row in cursor.fetchall()}


def check_schema(datastore: Any) -> None:
    """Raise ``SchemaMissingError`` unless the configured schema exists."""
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (datastore.schema,)
        )
        if cursor.fetchone() is None:
            raise SchemaMissingError(
                f"the PostgreSQL schema {datastore.schema!r} does not exist: run "
                f"'appraisal migrate --create-schema', or fix APPRAISAL_POSTGRES_SCHEMA"
            )


def create_postgres_schema(database_url: str, schema: str) -> bool:
    """Create ``schema`` if it does not exist; return whether it was created."""
    name = schema.strip() or "public"
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,)
        ).fetchone()
        if found is not None:
            return False
        conn.execute(
            psycopg.sql.SQL("CREATE SCHEMA {}").format(psycopg.sql.Identifier(name))
        )
        return True


@contextlib.contextmanager
def migration_lock(database_url: str | None, timeout: float) -> Iterator[None]:
    """One migrating process at a time (PostgreSQL); SQLite serialises DDL itself."""
    if not database_url:
        yield
        return
    with psycopg.connect(
        database_url, autocommit=True, connect_timeout=max(1, round(timeout))
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


class Migrations:
    """The schema objects of a set of components, in the order they are created."""

    def __init__(
        self,
        components: Callable[[], Sequence[tuple[Any, Sequence[SchemaObject]]]],
        postgres: bool,
        database_url: str | None,
        timeout: float,
    ) -> None:
        self._components = components
        self._postgres = postgres
        self._url = database_url
        self._timeout = timeout

    def missing(self) -> list[str]:
        found: list[str] = []
        for datastore, objects in self._components():
            present = relations_present(datastore, self._postgres)
            found += [o.name for o in objects if not o.exists(present)]
        return found

    def ensure(self) -> list[str]:
        """Create what is missing, if anything is; return what was created."""
        if not self.missing():
            return []
        with migration_lock(self._url, self._timeout):
            return self.migrate()

    def migrate(self) -> list[str]:
        """Create each missing object in a transaction of its own."""
        created: list[str] = []
        for datastore, objects in self._components():
            present = relations_present(datastore, self._postgres)
            for item in objects:
                if not item.exists(present):
                    item.create()
                    created.append(item.name)
                    logger.info("created %s", item.name)
        return created


def statement_object(
    datastore: Any, name: str, statement: str, *, also: Sequence[str] = ()
) -> SchemaObject:
    """An object created by one statement; it exists when ``name`` (and every
    name in ``also``) is in the catalogue."""

    def create() -> None:
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(statement)

    return SchemaObject(
        name,
        lambda present: name in present and all(a in present for a in also),
        create,
    )
