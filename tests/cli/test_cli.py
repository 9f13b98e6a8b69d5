"""The `registry` command as a user runs it: a real process, real catalog, real files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def embedded(tmp_path: Path) -> dict[str, str]:
    """The embedded default: only REGISTRY_HOME and a cache dir, nothing else configured."""
    return {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")}


def test_init_publish_pull_round_trip_on_the_embedded_catalog(embedded: dict[str, str], tmp_path: Path) -> None:
    init = json.loads(run(embedded, "init", "--json").stdout)
    assert init["devices"] > 20 and (tmp_path / "home" / "catalog.db").exists()
    d = write_publish_dir(tmp_path / "pub", slug="yolov8", version="1.2.0")
    published = json.loads(run(embedded, "publish", str(d), "--json").stdout)
    assert published["created"] is True
    pulled = json.loads(run(embedded, "pull", "yolov8", "--device", "sd8g3", "--precision", "int8", "--json").stdout)
    assert {k: pulled[k] for k in ("model", "version", "precision", "runtime")} == {
        "model": "yolov8",
        "version": "1.2.0",
        "precision": "w8a8",
        "runtime": "onnx",
    }
    assert pulled["device"] == "qualcomm-snapdragon-8gen3" and isinstance(pulled["build"], int)
    (f,) = pulled["files"]
    original = (d / "w8a8-onnx-any/model.bin").read_bytes()
    assert Path(f["path"]).read_bytes() == original
    assert f["sha256"] == hashlib.sha256(original).hexdigest() and f["size"] == len(original)
    out = tmp_path / "out"
    run(embedded, "pull", "yolov8@1.2.0", "-d", "Samsung Galaxy S24", "-p", "w8a8", "-o", str(out))
    assert (out / "w8a8-onnx-any/model.bin").read_bytes() == original
    assert not (out / "w8a8-onnx-any/model.bin").is_symlink()


def test_read_commands_have_json(embedded: dict[str, str], tmp_path: Path) -> None:
    run(embedded, "init")
    run(embedded, "publish", str(write_publish_dir(tmp_path / "pub", slug="minilm")))
    models = json.loads(run(embedded, "models", "--json").stdout)
    assert [m["slug"] for m in models] == ["minilm"]
    show = json.loads(run(embedded, "show", "minilm@1.0.0", "--json").stdout)
    assert show["version"]["version"] == "1.0.0" and len(show["builds"]) == 2
    devices = json.loads(run(embedded, "devices", "--json").stdout)
    sd8g3 = next(d for d in devices if d["slug"] == "sd8g3")
    assert sd8g3["npu_arch"] and "sm8650" in sd8g3["soc_parts"]
    table = run(embedded, "devices").stdout
    assert "sd8g3" in table and "Snapdragon" in table
    # piped into a file or `less`, a table is 160 columns wide, not 80: each build's row stays one line
    builds = run({**embedded, "COLUMNS": ""}, "show", "minilm@1.0.0").stdout
    assert any(
        all(c in line for c in ("build", "precision", "runtime", "target", "latency")) for line in builds.splitlines()
    )


def test_alias_deprecate_yank_from_the_cli(embedded: dict[str, str], tmp_path: Path) -> None:
    run(embedded, "init")
    for v in ("1.0.0", "1.1.0"):
        run(embedded, "publish", str(write_publish_dir(tmp_path / v, version=v)))
    run(embedded, "alias", "tinynet", "stable", "1.0.0")
    pulled = json.loads(run(embedded, "pull", "tinynet", "-d", "sd8g2", "-p", "fp32", "-a", "stable", "--json").stdout)
    assert pulled["version"] == "1.0.0"
    run(embedded, "yank", "tinynet@1.1.0", "--reason", "broken")
    latest = json.loads(run(embedded, "pull", "tinynet", "-d", "sd8g2", "-p", "fp32", "--json").stdout)
    assert latest["version"] == "1.0.0"
    pinned = run(embedded, "pull", "tinynet@1.1.0", "-d", "sd8g2", "-p", "fp32", "--json")
    assert "yanked" in pinned.stderr and json.loads(pinned.stdout)["version"] == "1.1.0"


@pytest.mark.parametrize(
    "args,message",
    [
        (["pull", "nosuch", "-d", "sd8g3", "-p", "int8"], "No model named 'nosuch'"),
        (["pull", "tinynet", "-d", "snapdragon 8 gen 33", "-p", "int8"], "snapdragon 8 gen 33"),
        (["pull", "tinynet", "-d", "sd8g3", "-p", "int3"], "Unknown precision 'int3'"),
        (["pull", "tinynet", "-d", "sd8g3", "-p", "w4a16"], "has no w4a16 build"),
        (["show", "tinynet@9.9.9"], "has no version 9.9.9"),
        (["yank", "tinynet"], "Say which version"),
    ],
)
def test_user_errors_are_one_clear_line_without_traceback(
    embedded: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    run(embedded, "init")
    run(embedded, "publish", str(write_publish_dir(tmp_path / "pub")))
    proc = run(embedded, *args, ok=False)
    assert proc.returncode != 0
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")


def test_uninitialized_catalog_says_to_run_init(embedded: dict[str, str]) -> None:
    proc = run(embedded, "models", ok=False)
    assert proc.returncode != 0 and "registry init" in proc.stderr
    # ingest says so before it exports anything (it used to export the first model, ~20 s, then fail)
    ingest = run(embedded, "ingest", "digits-cnn", "--precisions", "float", ok=False)
    assert ingest.returncode != 0 and "registry init" in ingest.stderr and "exporting" not in ingest.stderr
    assert not (Path(embedded["REGISTRY_HOME"]) / "catalog.db").exists()  # no empty database left behind


def test_debug_shows_the_traceback(embedded: dict[str, str]) -> None:
    proc = run({**embedded, "REGISTRY_DEBUG": "1"}, "models", ok=False)
    assert "Traceback" in proc.stderr


@pytest.mark.s3
@pytest.mark.postgres
def test_round_trip_on_postgres_and_s3(tmp_path: Path, postgres_databases: Any, s3_server: Any, s3_bucket: str) -> None:
    """The production shape: PostgreSQL catalog, S3 blobs; the bytes come back identical."""
    env = {
        "REGISTRY_HOME": str(tmp_path / "home"),
        "REGISTRY_CACHE_DIR": str(tmp_path / "cache"),
        "REGISTRY_DATABASE_URL": postgres_databases.create(from_template=False),
        **s3_server.env(s3_bucket + "-fresh"),  # a bucket that does not exist yet: `db upgrade` creates it
    }
    run(env, "db", "upgrade")
    d = write_publish_dir(tmp_path / "pub", slug="whisper", version="2.0.0")
    run(env, "publish", str(d))
    pulled = json.loads(run(env, "pull", "whisper", "-d", "sm8650", "-p", "float", "--json").stdout)
    (f,) = pulled["files"]
    assert Path(f["path"]).read_bytes() == (d / "float-onnx-any/model.bin").read_bytes()


def test_repeated_pulls_follow_every_catalog_change(embedded: dict[str, str], tmp_path: Path) -> None:
    """Warm pulls skip the database only while it is unchanged: publish, alias and yank are seen at once."""
    run(embedded, "init")
    run(embedded, "publish", str(write_publish_dir(tmp_path / "a", version="1.0.0")))

    def latest(*extra: str) -> str:
        out = run(embedded, "pull", "tinynet", "-d", "sd8g3", "-p", "w8a8", "--json", *extra).stdout
        return str(json.loads(out)["version"])

    assert latest() == latest() == "1.0.0"
    run(embedded, "publish", str(write_publish_dir(tmp_path / "b", version="1.1.0")))
    assert latest() == "1.1.0"
    run(embedded, "alias", "tinynet", "stable", "1.0.0")
    assert latest("--alias", "stable") == "1.0.0"
    run(embedded, "alias", "tinynet", "stable", "1.1.0")
    assert latest("--alias", "stable") == "1.1.0"
    run(embedded, "yank", "tinynet@1.1.0")
    assert latest() == "1.0.0"
    proc = run(embedded, "pull", "tinynet", "-d", "sd8g3", "-p", "w8a8", "--alias", "stable", ok=False)
    assert proc.returncode != 0 and "yanked" in proc.stderr
