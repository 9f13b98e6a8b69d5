"""Shared fixtures: a migrated catalog on SQLite and on a real PostgreSQL, isolated per test."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.s3"]

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Tests must never read the developer's own catalog or cache.
for _var in [v for v in os.environ if v.startswith("REGISTRY_") and not v.startswith("REGISTRY_TEST_")]:
    del os.environ[_var]
# ... nor a server and token saved by the developer's `registry login` (CLI subprocesses inherit this too).
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="registry-test-config-")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, device-seeded SQLite file that each test copies (much faster than migrating)."""
    from registry import migrate
    from registry.db import make_engine, make_sessionmaker, transaction
    from registry.devices import seed_devices

    path = tmp_path_factory.mktemp("sqlite-template") / "catalog.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        seed_devices(session)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "catalog.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    dbs = request.getfixturevalue("postgres_databases")
    url: str = dbs.create()
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "catalog-sqlite.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def registry_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """Environment for a CLI subprocess (or Settings) pointing at this test's catalog."""
    home = tmp_path / "home"
    return {
        "REGISTRY_HOME": str(home),
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_STORE_URL": (tmp_path / "blobs").as_uri(),
        "REGISTRY_CACHE_DIR": str(tmp_path / "cache"),
    }


@pytest.fixture
def catalog(registry_env: dict[str, str]) -> Iterator[object]:
    from registry.embedded import EmbeddedCatalog
    from registry.settings import get_settings

    settings = get_settings(
        home=Path(registry_env["REGISTRY_HOME"]),
        database_url=registry_env["REGISTRY_DATABASE_URL"],
        store_url=registry_env["REGISTRY_STORE_URL"],
        cache_dir=Path(registry_env["REGISTRY_CACHE_DIR"]),
    )
    cat = EmbeddedCatalog(settings)
    yield cat
    cat.engine.dispose()
