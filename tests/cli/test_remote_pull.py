"""`registry pull` against a real server (REGISTRY_URL): the same --json as the local pull, offline from the cache."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.server import free_port, running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], str, Path]]:
    """An embedded catalog with yolov8@1.2.0 published by the CLI, served by `registry serve`."""
    server_env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "server-cache")}
    run(server_env, "init")
    pub = write_publish_dir(
        tmp_path / "pub",
        slug="yolov8",
        version="1.2.0",
        builds=[{"precision": "w8a8", "runtime": "onnx"}, {"precision": "float", "runtime": "onnx"}],
    )
    run(server_env, "publish", str(pub))
    run(server_env, "alias", "yolov8", "stable", "1.2.0")
    with running_server(server_env) as url:
        yield server_env, url, pub


def test_remote_pull_prints_the_same_json_as_a_local_pull(
    served: tuple[dict[str, str], str, Path], tmp_path: Path
) -> None:
    server_env, url, pub = served
    args = ["pull", "yolov8", "--device", "sd8g3", "--precision", "int8", "--alias", "stable", "--json"]
    local = json.loads(run(server_env, *args).stdout)
    client_env = {"REGISTRY_URL": url, "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache")}
    remote = json.loads(run(client_env, *args).stdout)
    assert list(remote) == list(local)
    for key in ("model", "version", "device", "precision", "runtime", "build"):
        assert remote[key] == local[key]
    (f,) = remote["files"]
    assert list(f) == list(local["files"][0]) and f["sha256"] == local["files"][0]["sha256"]
    assert f["path"].startswith(str(tmp_path / "client-cache"))
    assert hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert Path(f["path"]).read_bytes() == (pub / f["name"]).read_bytes()

    # The warm pull (build cached) imports none of the heavy libraries: the fast path stays fast.
    warm = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "registry", *args],
        env=cli_env(client_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert warm.returncode == 0 and json.loads(warm.stdout)["files"] == remote["files"]
    imported = {line.rsplit("|", 1)[-1].strip() for line in warm.stderr.splitlines() if "|" in line}
    assert imported and not imported & {"pydantic", "httpx", "sqlalchemy", "rich", "http.client"}

    out = tmp_path / "out"
    human = run(client_env, "pull", "yolov8@1.2.0", "-d", "Samsung Galaxy S24", "-p", "w8a8", "-o", str(out))
    assert "yolov8@1.2.0 build" in human.stderr and f["sha256"] in human.stdout and str(out) in human.stdout
    assert (out / f["name"]).read_bytes() == (pub / f["name"]).read_bytes()


def test_offline_pull_answers_from_the_cache_and_fails_clearly_without_it(
    served: tuple[dict[str, str], str, Path], tmp_path: Path
) -> None:
    _, url, _ = served
    cache = str(tmp_path / "client-cache")
    first = json.loads(
        run(
            {"REGISTRY_URL": url, "REGISTRY_CACHE_DIR": cache}, "pull", "yolov8", "-d", "sd8g3", "-p", "int8", "--json"
        ).stdout
    )
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens here: any network call would fail
    offline = {"REGISTRY_URL": closed, "REGISTRY_CACHE_DIR": cache, "REGISTRY_OFFLINE": "1"}
    again = json.loads(run(offline, "pull", "yolov8", "-d", "sd8g3", "-p", "int8", "--json").stdout)
    assert again["files"] == first["files"] and again["build"] == first["build"]
    missing = run(offline, "pull", "yolov8", "-d", "sd8g3", "-p", "float", ok=False)
    assert missing.returncode == 1 and "REGISTRY_OFFLINE is set" in missing.stderr
    assert "Unset REGISTRY_OFFLINE" in missing.stderr
    down = run(
        {"REGISTRY_URL": closed, "REGISTRY_CACHE_DIR": cache}, "pull", "yolov8", "-d", "sd8g3", "-p", "float", ok=False
    )
    assert down.returncode == 1 and f"Cannot reach the registry at {closed}" in down.stderr
    assert "REGISTRY_OFFLINE=1" in down.stderr


def test_plain_pull_flags_skip_typer_and_anything_else_falls_back_to_it() -> None:
    from registry.cli.remote_pull import parse_pull_args

    parsed = parse_pull_args(["pull", "yolov8@1.2.0", "-d", "Galaxy S24", "--precision=int8", "-o", "out", "--json"])
    assert parsed is not None
    assert (parsed["model"], parsed["device"], parsed["precision"], parsed["json_out"]) == (
        "yolov8@1.2.0",
        "Galaxy S24",
        "int8",
        True,
    )
    assert parsed["out_dir"] == Path("out") and parsed["alias_name"] is None
    for argv in (["pull", "--help"], ["pull", "m", "-d", "x"], ["pull", "m", "-d", "x", "-p", "y", "--bogus"]):
        assert parse_pull_args(argv) is None  # typer answers these (help text, usage errors)
    assert "--alias" in run({}, "pull", "--help").stdout
