"""`registry pull MODEL@sha256:...` by a version's content digest or a build digest, locally and from a server,
and lockfiles that pin by digest alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
BUILDS = [{"precision": "w8a8", "runtime": "onnx"}, {"precision": "float", "runtime": "onnx"}]


def run(env: dict[str, str], *args: str, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120, cwd=cwd)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def home(tmp_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """hello 1.0.0 and 1.1.0 (different bytes); returns the env and {version: content digest}."""
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    run(env, "init")
    for version in ("1.0.0", "1.1.0"):
        pub = write_publish_dir(tmp_path / version, slug="hello", version=version, builds=BUILDS)
        run(env, "publish", str(pub))
    shown = json.loads(run(env, "show", "hello", "--json").stdout)
    return env, {v["version"]: v["content_digest"] for v in shown["versions"]}


def test_pull_by_version_content_digest_and_by_build_digest(home: tuple[dict[str, str], dict[str, str]]) -> None:
    env, digests = home
    old = json.loads(run(env, "pull", f"hello@sha256:{digests['1.0.0']}", "-d", "sd8g3", "-p", "int8", "--json").stdout)
    assert old["version"] == "1.0.0" and old["precision"] == "w8a8"
    latest = json.loads(run(env, "pull", "hello", "-d", "sd8g3", "-p", "int8", "--json").stdout)
    assert latest["version"] == "1.1.0"

    # The build digest of 1.0.0's float build, as the registry reports it on resolve.
    from registry.service.digests import build_digest

    shown = json.loads(run(env, "show", "hello@1.0.0", "--json").stdout)
    float_build = next(b for b in shown["builds"] if b["precision"] == "float")
    digest = build_digest("float", "onnx", "any", [(f["path"], f["sha256"], f["size"]) for f in float_build["files"]])
    pulled = json.loads(run(env, "pull", f"hello@sha256:{digest}", "-d", "sd8g3", "-p", "float", "--json").stdout)
    assert (pulled["version"], pulled["build"]) == ("1.0.0", float_build["id"])
    # A build digest names one build: asking for another precision is refused, naming the digest.
    wrong = run(env, "pull", f"hello@sha256:{digest}", "-d", "sd8g3", "-p", "int8", ok=False)
    assert wrong.returncode == 1 and "matching that build digest" in wrong.stderr


def test_bad_and_unknown_digests_are_clear_errors(home: tuple[dict[str, str], dict[str, str]]) -> None:
    env, _ = home
    bad = run(env, "pull", "hello@sha256:xyz", "-d", "sd8g3", "-p", "int8", ok=False)
    assert bad.returncode == 2 and "is not a content digest" in bad.stderr and "Traceback" not in bad.stderr
    unknown = run(env, "pull", "hello@sha256:" + "0" * 64, "-d", "sd8g3", "-p", "int8", ok=False)
    assert unknown.returncode == 1 and "no version or build with digest sha256:000000000000" in unknown.stderr


def test_remote_pull_by_digest_and_a_lockfile_pinned_by_digest_alone(
    home: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    env, digests = home
    with running_server(env) as url:
        client = {"REGISTRY_URL": url, "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache")}
        got = json.loads(
            run(client, "pull", f"hello@sha256:{digests['1.0.0']}", "-d", "sd8g3", "-p", "int8", "--json").stdout
        )
        assert got["version"] == "1.0.0"
        app = tmp_path / "app"
        app.mkdir()
        (app / "registry.toml").write_text(
            f'[[model]]\nname = "hello"\ndevice = "sd8g3"\nprecision = "float"\ndigest = "sha256:{digests["1.0.0"]}"\n'
        )
        lock = json.loads(run(client, "lock", "--json", cwd=app).stdout)
        (entry,) = lock["models"]
        assert entry["version"] == "1.0.0" and entry["content_digest"] == digests["1.0.0"]
        assert len(entry["build_digest"]) == 64
        synced = json.loads(run(client, "sync", "--frozen", "--json", cwd=app).stdout)
        assert synced[0]["version"] == "1.0.0"
        assert [Path(f["path"]).is_file() for f in synced[0]["files"]] == [True]
