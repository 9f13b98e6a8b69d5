"""`registry lock` / `registry sync [--frozen]` against a real server: exactly the locked bytes, or a clear failure."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
BUILDS = [{"precision": "w8a8", "runtime": "onnx"}, {"precision": "float", "runtime": "onnx"}]
TOML = """
[[model]]
name = "yolov8"
device = "Samsung Galaxy S24"
precision = "int8"
alias = "stable"

[[model]]
name = "yolov8"
device = "sd8g2"
precision = "float"
version = "1.0.0"
"""


def run(env: dict[str, str], *args: str, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120, cwd=cwd)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    server_env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "server-cache")}
    run(server_env, "init")
    for version, seed in (("1.0.0", b""), ("1.1.0", b"new")):
        run(
            server_env,
            "publish",
            str(write_publish_dir(tmp_path / version, slug="yolov8", version=version, builds=BUILDS, seed=seed)),
        )
    run(server_env, "alias", "yolov8", "stable", "1.0.0")
    with running_server(server_env) as url:
        yield server_env, url


def test_lock_then_sync_fetches_exactly_the_locked_bytes_and_frozen_catches_drift(
    served: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    server_env, url = served
    app = tmp_path / "app"
    app.mkdir()
    (app / "registry.toml").write_text(TOML)
    env = {"REGISTRY_URL": url, "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache")}
    run(env, "lock", cwd=app)
    lock = json.loads((app / "registry.lock").read_text())
    assert [(e["ref"], e["device_slug"], e["precision"], e["runtime"]) for e in lock["models"]] == [
        ("yolov8@1.0.0", "sd8g3", "w8a8", "onnx"),
        ("yolov8@1.0.0", "sd8g2", "float", "onnx"),
    ]
    assert all(isinstance(e["build"], int) and e["files"][0]["size"] > 0 for e in lock["models"])

    synced = json.loads(run(env, "sync", "--frozen", "--json", "-o", str(app / "models"), cwd=app).stdout)
    for entry, got in zip(lock["models"], synced, strict=True):
        (f,) = got["files"]
        assert f["sha256"] == entry["files"][0]["sha256"] and got["build"] == entry["build"]
        assert hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest() == f["sha256"]
        assert Path(f["path"]).is_relative_to(app / "models" / "yolov8" / "1.0.0")

    # The alias moves on the server: a plain sync still installs the lock; --frozen refuses the drift.
    run(server_env, "alias", "yolov8", "stable", "1.1.0")
    run(env, "sync", cwd=app)
    drift = run(env, "sync", "--frozen", cwd=app, ok=False)
    assert (
        drift.returncode == 1
        and "resolves differently now" in drift.stderr
        and "version 1.0.0 -> 1.1.0" in drift.stderr
    )
    assert "registry lock" in drift.stderr

    # registry.toml edited after locking: --frozen says so before contacting anything.
    (app / "registry.toml").write_text(TOML.replace('version = "1.0.0"', 'version = "1.1.0"'))
    edited = run(env, "sync", "--frozen", cwd=app, ok=False)
    assert edited.returncode == 1 and "disagree" in edited.stderr

    # A lock whose bytes the registry does not serve: nothing is fetched for that entry.
    lock["models"][1]["files"][0]["sha256"] = "0" * 64
    (app / "registry.lock").write_text(json.dumps(lock))
    fresh = {**env, "REGISTRY_CACHE_DIR": str(tmp_path / "fresh-cache")}
    bad = run(fresh, "sync", cwd=app, ok=False)
    assert (
        bad.returncode == 1
        and "differs from registry.lock" in bad.stderr
        and "not what the registry serves" in bad.stderr
    )
    assert not list((tmp_path / "fresh-cache").glob("models--yolov8/snapshots/1.0.0/float-*"))


def test_bad_requirements_get_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "registry.toml").write_text('[[model]]\nname = "yolov8"\nprecision = "int8"\n')
    proc = run({"REGISTRY_HOME": str(tmp_path / "h")}, "lock", cwd=tmp_path, ok=False)
    assert proc.returncode == 2 and "'device' is required" in proc.stderr
    (tmp_path / "registry.toml").write_text("[[model]\n")
    proc = run({"REGISTRY_HOME": str(tmp_path / "h")}, "lock", cwd=tmp_path, ok=False)
    assert proc.returncode == 2 and "registry.toml" in proc.stderr and "TOML" in proc.stderr
    proc = run({"REGISTRY_HOME": str(tmp_path / "h")}, "sync", cwd=tmp_path, ok=False)
    assert proc.returncode == 2 and "No lockfile" in proc.stderr and "registry lock" in proc.stderr
