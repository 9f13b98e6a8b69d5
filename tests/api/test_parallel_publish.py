"""Many publishers of one version at once (a CI matrix): idempotent on SQLite and PostgreSQL, CLI and API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from registry.client.sdk import Client
from registry.embedded import EmbeddedCatalog
from registry.entities import PublishResult
from registry.errors import RegistryError, VersionImmutable
from registry.service import lifecycle
from registry.service.audit import list_events
from registry.service.catalog import show_model
from registry.service.tokens import create_token
from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

N = 10


def _publish_all(api: str, token: str, dirs: list[Path]) -> list[PublishResult | RegistryError]:
    def one(directory: Path) -> PublishResult | RegistryError:
        try:
            with Client(api, token) as client:
                return client.publish(directory)
        except RegistryError as exc:
            return exc

    with ThreadPoolExecutor(len(dirs)) as pool:
        return list(pool.map(one, dirs))


def test_parallel_api_publishes_one_winner(
    catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path
) -> None:
    with catalog.session() as s:
        token = create_token(s, "admin")[0]
    same = write_publish_dir(tmp_path / "same", slug="racer", version="1.0.0")
    different = [
        write_publish_dir(tmp_path / f"d{i}", slug="racer", version="2.0.0", seed=bytes([i])) for i in range(N)
    ]
    with running_server(registry_env) as api:
        results = _publish_all(api, token, [same] * N)
        assert all(isinstance(r, PublishResult) for r in results), results
        assert sorted(r.created for r in results if isinstance(r, PublishResult)) == [False] * (N - 1) + [True]
        results = _publish_all(api, token, different)
        winners = [r for r in results if isinstance(r, PublishResult)]
        losers = [r for r in results if not isinstance(r, PublishResult)]
        assert len(winners) == 1 and winners[0].created, results
        assert all(isinstance(e, VersionImmutable) for e in losers), losers
        # Racing alias moves and lifecycle changes all succeed, and end in one consistent state.
        with ThreadPoolExecutor(N) as pool:
            moves = list(
                pool.map(lambda i: Client(api, token).set_alias("racer", "stable", f"{1 + i % 2}.0.0"), range(N))
            )
            deprecations = list(pool.map(lambda _: Client(api, token).deprecate("racer", "1.0.0", "old"), range(N)))
        assert {m.version for m in moves} == {"1.0.0", "2.0.0"}
        assert {d.status for d in deprecations} == {"deprecated"}
    with catalog.session() as s:
        detail = show_model(s, "racer")
        assert {v.version for v in detail.versions} == {"1.0.0", "2.0.0"}
        assert len(list_events(s, action="publish")) == 2
        assert len(list_events(s, action="version.deprecate")) == 1  # the other nine were no-ops
        lifecycle.restore(s, "racer", "1.0.0")


def test_parallel_cli_publishes_are_idempotent(
    catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path
) -> None:
    source = write_publish_dir(tmp_path / "src", slug="clirace", version="1.0.0")
    dirs = []
    for i in range(N):  # each CI job has its own checkout of the same bytes
        dirs.append(tmp_path / f"job{i}")
        shutil.copytree(source, dirs[-1])
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "registry", "publish", str(d), "--json"],
            env=cli_env(registry_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for d in dirs
    ]
    outcomes = [
        (p.wait(timeout=120), p.stdout.read() if p.stdout else "", p.stderr.read() if p.stderr else "") for p in procs
    ]
    assert all(code == 0 for code, _, _ in outcomes), [o for o in outcomes if o[0] != 0]
    assert sum('"created": true' in out for _, out, _ in outcomes) == 1
    other = write_publish_dir(tmp_path / "other", slug="clirace", version="1.0.0", seed=b"x")
    r = subprocess.run(
        [sys.executable, "-m", "registry", "publish", str(other)],
        env=cli_env(registry_env),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "already published with different bytes" in r.stderr
