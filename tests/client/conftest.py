"""Fixtures for the client tests: a SQLite catalog, a real `registry serve` subprocess that a test can kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from registry.embedded import EmbeddedCatalog
from registry.settings import get_settings
from tests.fixtures.server import free_port


@dataclass
class Server:
    """`registry serve` in a subprocess; ``kill()`` is a SIGKILL (no graceful shutdown)."""

    env: dict[str, str]
    url: str = ""
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        port = free_port()
        full = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")} | self.env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "registry", "serve", "--port", str(port)],
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, "the API exited early"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API did not start within 30 s"
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def sqlite_env(tmp_path: Path, sqlite_url: str) -> dict[str, str]:
    return {
        "REGISTRY_HOME": str(tmp_path / "home"),
        "REGISTRY_DATABASE_URL": sqlite_url,
        "REGISTRY_STORE_URL": (tmp_path / "blobs").as_uri(),
        "REGISTRY_CACHE_DIR": str(tmp_path / "server-cache"),
    }


@pytest.fixture
def sqlite_catalog(sqlite_env: dict[str, str]) -> Iterator[EmbeddedCatalog]:
    settings = get_settings(
        home=Path(sqlite_env["REGISTRY_HOME"]),
        database_url=sqlite_env["REGISTRY_DATABASE_URL"],
        store_url=sqlite_env["REGISTRY_STORE_URL"],
        cache_dir=Path(sqlite_env["REGISTRY_CACHE_DIR"]),
    )
    cat = EmbeddedCatalog(settings)
    yield cat
    cat.engine.dispose()


@pytest.fixture
def server(sqlite_env: dict[str, str]) -> Iterator[Server]:
    srv = Server(sqlite_env)
    try:
        yield srv
    finally:
        srv.kill()
