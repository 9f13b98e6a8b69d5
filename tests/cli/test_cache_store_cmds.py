"""`registry cache ls|verify|prune` on a real cache, `registry store verify [--repair]` and `registry gc` on a real
store: what a user runs to see, check and clean what is on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
BUILDS = [{"precision": "float", "runtime": "onnx"}, {"precision": "w8a8", "runtime": "onnx"}]


def run(env: dict[str, str], *args: str, ok: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120, cwd=cwd)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def flip(path: Path) -> None:
    path = Path(os.path.realpath(path))
    os.chmod(path, 0o644)
    with path.open("r+b") as fh:
        fh.seek(10)
        b = fh.read(1)
        fh.seek(10)
        fh.write(bytes([b[0] ^ 1]))


def setup(tmp_path: Path) -> tuple[dict[str, str], Path]:
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    run(env, "init")
    pub = write_publish_dir(tmp_path / "pub", slug="yolov8", builds=BUILDS)
    run(env, "publish", str(pub))
    run(env, "publish", str(write_publish_dir(tmp_path / "pub2", slug="yolov8", version="1.1.0", seed=b"2")))
    return env, pub


def test_cache_ls_verify_and_prune(tmp_path: Path) -> None:
    env, _ = setup(tmp_path)
    a = json.loads(run(env, "pull", "yolov8@1.0.0", "-d", "sd8g2", "-p", "float", "--json").stdout)["files"][0]
    b = json.loads(run(env, "pull", "yolov8@1.1.0", "-d", "sd8g2", "-p", "int8", "--json").stdout)["files"][0]
    ls = json.loads(run(env, "cache", "ls", "--json").stdout)
    assert {(x["model"], x["version"], x["build"]) for x in ls["builds"]} == {
        ("yolov8", "1.0.0", "float-onnx-any"),
        ("yolov8", "1.1.0", "w8a8-onnx-any"),
    }
    assert ls["blob_bytes"] == a["size"] + b["size"] and all(x["complete"] for x in ls["builds"])
    assert "yolov8" in run(env, "cache", "ls").stdout

    flip(Path(a["path"]))
    checked = run(env, "cache", "verify", "--json")
    report = json.loads(checked.stdout)
    assert report["checked"] == 2 and [d["sha256"] for d in report["damaged"]] == [a["sha256"]]
    assert [r["sha256"] for r in report["repaired"]] == [a["sha256"]]
    assert json.loads(run(env, "cache", "verify", "--json").stdout)["damaged"] == []

    # Both builds were last pulled long ago. The app's lockfile pins 1.0.0: prune keeps it, drops 1.1.0.
    app = tmp_path / "app"
    app.mkdir()
    (app / "registry.toml").write_text('[[model]]\nname="yolov8"\ndevice="sd8g2"\nprecision="float"\nversion="1.0.0"\n')
    run(env, "lock", cwd=app)
    old = time.time() - 90 * 86400
    for res in [*(tmp_path / "cache").rglob(".resolution.json"), *(tmp_path / "cache" / ".resolutions").iterdir()]:
        os.utime(res, (old, old))

    def would_prune(cwd: Path) -> list[str]:
        dry = json.loads(run(env, "cache", "prune", "--dry-run", "--json", cwd=cwd).stdout)
        return sorted(Path(p).parent.name for p in dry["snapshots"])

    assert would_prune(app) == ["1.1.0"]
    assert would_prune(tmp_path) == ["1.0.0", "1.1.0"], "no lockfile, no recent pull: nothing is needed"
    run(env, "pull", "yolov8@1.0.0", "-d", "sd8g2", "-p", "float")  # a warm (fast-path) pull is a recent use
    assert would_prune(tmp_path) == ["1.1.0"]
    run(env, "cache", "prune", cwd=tmp_path)
    left = json.loads(run(env, "cache", "ls", "--json").stdout)
    assert [x["version"] for x in left["builds"]] == ["1.0.0"] and left["blob_bytes"] == a["size"]


def test_store_verify_quarantines_lists_versions_and_repairs(tmp_path: Path) -> None:
    env, pub = setup(tmp_path)
    res = json.loads(run(env, "pull", "yolov8@1.0.0", "-d", "sd8g2", "-p", "float", "--json").stdout)["files"][0]
    stored = tmp_path / "home" / "blobs" / "sha256" / res["sha256"][:2] / res["sha256"]
    flip(stored)
    bad = run(env, "store", "verify", ok=False)
    assert bad.returncode != 0 and "yolov8@1.0.0" in bad.stderr and "quarantined" in bad.stderr
    assert not stored.exists() and (tmp_path / "home" / "blobs" / "quarantine" / res["sha256"]).exists()
    # The rows are untouched; the download cache still holds a verified copy: --repair puts it back.
    fixed = json.loads(run(env, "store", "verify", "--repair", "--json").stdout)
    assert fixed["repaired"] == [res["sha256"]] and fixed["versions"] == {}
    assert json.loads(run(env, "store", "verify", "--json").stdout)["missing"] == []

    flip(stored)  # no cache copy this time: heal from the published directory
    run(env, "cache", "prune", "--keep-days", "0")
    assert run(env, "store", "verify", "--repair", ok=False).returncode != 0
    run(env, "store", "verify", "--repair", "--from", str(pub))
    again = run(env, "pull", "yolov8@1.0.0", "-d", "sd8g2", "-p", "float", "--json")
    assert json.loads(again.stdout)["files"][0]["sha256"] == res["sha256"]


def test_gc_removes_only_unreferenced_blobs_after_the_grace_period(tmp_path: Path) -> None:
    env, _ = setup(tmp_path)
    orphan = tmp_path / "home" / "blobs" / "sha256" / "ab" / ("ab" * 32)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x" * 123)
    assert json.loads(run(env, "gc", "--json").stdout)["blobs"] == [], "within the grace period: kept"
    dry = json.loads(run(env, "gc", "--grace", "0", "--dry-run", "--json").stdout)
    assert dry["blobs"] == [{"sha256": "ab" * 32, "size": 123}] and orphan.exists()
    run(env, "gc", "--grace", "0")
    assert not orphan.exists()
    after = json.loads(run(env, "store", "verify", "--json").stdout)
    assert (after["checked"], after["damaged"], after["missing"]) == (4, [], []), "every referenced blob kept"
