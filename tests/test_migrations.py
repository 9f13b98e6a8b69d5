"""Migrations: one head, upgrade leaves no diff against the models, downgrade to base is clean."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from registry import migrate
from registry.db import make_engine
from registry.models import Base


def test_single_head(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert len(migrate.heads(engine)) == 1


def test_upgrade_matches_models_and_downgrade_is_clean(database_url: str) -> None:
    # database_url comes migrated from a template; start from an empty database instead.
    engine = make_engine(database_url)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.heads(engine)[0]
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
