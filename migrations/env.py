"""Alembic environment: the engine comes from ``registry.migrate`` (config attribute) or the settings."""

from __future__ import annotations

from alembic import context

from registry.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from registry.db import make_engine
        from registry.settings import get_settings

        engine = make_engine(get_settings().resolved_database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
