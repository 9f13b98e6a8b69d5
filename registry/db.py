"""Engines and sessions. SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL is used as is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from registry.errors import DatabaseNotReady, InvalidInput, MissingExtra


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; creates the parent dir of a SQLite file and switches it to WAL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"Invalid database URL '{url}'.", hint="Set REGISTRY_DATABASE_URL.") from exc
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise InvalidInput(f"Unsupported database URL '{url}'.", hint="Use sqlite:/// or postgresql://.") from exc
    except ModuleNotFoundError as exc:
        raise MissingExtra(
            f"The database driver for '{parsed.drivername}' is not installed.",
            hint="Install it with: pip install 'edge-model-registry[postgres]'",
        ) from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_ready(engine: Engine) -> None:
    """Fail with a clear next step when the database has not been created or migrated."""
    if not inspect(engine).has_table("models"):
        raise DatabaseNotReady(
            f"The catalog database at {engine.url.render_as_string(hide_password=True)} is not set up.",
            hint="Run `registry init` (embedded catalog) or `registry db upgrade`.",
        )
