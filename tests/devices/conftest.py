"""Device-catalog fixtures on a real SQLite file.

``db_session`` is the one seam to swap for the shared SQLite/PostgreSQL fixtures: it yields a Session on a
database that has the schema, seeded or not. Everything else here builds on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from registry.db import make_engine, make_sessionmaker
from registry.devices import seed_devices
from registry.models import Base


@pytest.fixture
def db_session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'devices.db'}")
    Base.metadata.create_all(engine)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture
def seeded(db_session: Session) -> Session:
    """``db_session`` with the device catalog seeded and committed."""
    seed_devices(db_session)
    db_session.commit()
    return db_session
