"""Alembic, driven from code: ``registry db upgrade`` and the tests use these."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def migrations_dir() -> Path:
    """Shipped inside the wheel as ``registry/_migrations``; the repo's ``migrations/`` in a checkout."""
    packaged = Path(__file__).parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)


def heads(engine: Engine) -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def source_migrations_dir() -> Path:
    """The checkout's ``migrations/``, where a new revision belongs (never the copy inside an installed wheel)."""
    from registry.errors import InvalidInput

    directory = Path(__file__).resolve().parent.parent / "migrations"
    if not (directory / "env.py").is_file():
        raise InvalidInput(
            "New migrations are written into a source checkout's migrations/ folder; none is here.",
            hint="Run `registry db revision` from a clone of the repository with `pip install -e .`.",
        )
    return directory


def next_revision_id(directory: Path) -> str:
    """The next zero-padded number after the numeric revisions in ``directory`` (``0001`` -> ``0002``)."""
    script = ScriptDirectory(str(directory))
    numbers = [int(r.revision) for r in script.walk_revisions() if r.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def revision(message: str, *, directory: Path | None = None, autogenerate: bool = True) -> Path:
    """Write a new migration after the current head; with ``autogenerate``, its operations are the difference
    between the models (``registry.models``) and a scratch SQLite database upgraded to that head. Returns its path."""
    import tempfile

    from registry.db import make_engine

    directory = directory or source_migrations_dir()
    with tempfile.TemporaryDirectory(prefix="registry-revision-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            cfg = alembic_config(engine)
            cfg.set_main_option("script_location", str(directory))
            command.upgrade(cfg, "head")
            written = command.revision(
                cfg, message=message, autogenerate=autogenerate, rev_id=next_revision_id(directory)
            )
        finally:
            engine.dispose()
    scripts = written if isinstance(written, list) else [written]
    if not scripts or scripts[0] is None:
        raise RuntimeError("alembic wrote no revision")
    return Path(scripts[0].path)
