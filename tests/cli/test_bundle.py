"""`registry bundle create` / `import`: a model moves between two catalogs (two REGISTRY_HOMEs, no server, no
network), verified and idempotent; a tampered bundle is refused naming the member. `registry mirror` from a
real server, incrementally."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
BENCH = {"device": "sd8g3", "provenance": "estimated", "source": "estimator 0.3.0", "latency_ms": 2.5, "error_pct": 22}
BUILDS = [
    {"precision": "w8a8", "runtime": "onnx", "benchmarks": [BENCH]},
    {"precision": "float", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3"},
    {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g2"},
]


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def home(tmp_path: Path, name: str) -> dict[str, str]:
    env = {"REGISTRY_HOME": str(tmp_path / name), "REGISTRY_CACHE_DIR": str(tmp_path / f"{name}-cache")}
    run(env, "init")
    return env


@pytest.fixture
def source(tmp_path: Path) -> tuple[dict[str, str], str, Path]:
    """Catalog A: yolov8n@1.0.0 (four builds, one estimate), alias stable, signed; returns env, public key, pub dir."""
    env = home(tmp_path, "a")
    pub = write_publish_dir(tmp_path / "pub", slug="yolov8n", version="1.0.0", builds=BUILDS)
    run(env, "publish", str(pub))
    run(env, "alias", "yolov8n", "stable", "1.0.0")
    key = json.loads(run(env, "key", "create", "--json").stdout)
    run(env, "sign", "yolov8n@1.0.0")
    return env, key["public_key"], pub


def test_a_bundle_moves_a_model_between_two_catalogs(source: tuple[dict[str, str], str, Path], tmp_path: Path) -> None:
    a, public_key, pub = source
    bundle = tmp_path / "bundle.tar"
    create = ["bundle", "create", "--model", "yolov8n", "--device", "sd8g3", "--precision", "int8", "-o", str(bundle)]
    made = json.loads(run(a, *create, "--json").stdout)
    assert made["versions"] == ["yolov8n@1.0.0"] and made["builds"] == 2 and made["blobs"] == 2
    with tarfile.open(bundle) as tar:
        names = set(tar.getnames())
    assert {"bundle.json", "devices.json", "signatures/yolov8n@1.0.0.json"} <= names

    b = home(tmp_path, "b")
    unsigned = run(b, "bundle", "import", str(bundle), "--require-signature", ok=False)
    assert unsigned.returncode != 0 and "no signature by a trusted key" in unsigned.stderr
    assert json.loads(run(b, "models", "--json").stdout) == []  # refused as a whole
    run(b, "key", "trust", public_key)
    first = json.loads(run(b, "bundle", "import", str(bundle), "--require-signature", "--json").stdout)
    # (the refused import already stored the two blobs, verified but referenced by nothing: bytes first, rows second)
    assert first["versions_created"] == ["yolov8n@1.0.0"] and first["signatures"] == 1
    again = json.loads(run(b, "bundle", "import", str(bundle), "--json").stdout)
    assert again["versions_created"] == [] and again["versions_present"] == ["yolov8n@1.0.0"]
    assert again["blobs_stored"] == 0

    pulled = json.loads(run(b, "pull", "yolov8n", "-d", "sd8g3", "-p", "int8", "--require-signature", "--json").stdout)
    assert (pulled["runtime"], pulled["target"]) == ("qnn_context_binary", "qualcomm-snapdragon-8gen3")
    (f,) = pulled["files"]
    assert Path(f["path"]).read_bytes() == (pub / f["name"]).read_bytes()
    verified = json.loads(run(b, "verify", "yolov8n@1.0.0", "--json").stdout)
    assert verified["verified"] and verified["partial"] and verified["files"] == 2
    shown = json.loads(run(b, "show", "yolov8n", "--json").stdout)
    assert {(x["precision"], x["runtime"]) for x in shown["builds"]} == {
        ("w8a8", "onnx"),
        ("w8a8", "qnn_context_binary"),
    }
    (onnx,) = [x for x in shown["builds"] if x["runtime"] == "onnx"]
    assert [(m["provenance"], m["latency_ms"], m["error_pct"]) for m in onnx["benchmarks"]] == [("estimated", 2.5, 22)]
    sd8g2 = run(b, "pull", "yolov8n", "-d", "sd8g2", "-p", "int8", "-r", "qnn_context_binary", ok=False)
    assert sd8g2.returncode != 0 and "has no w8a8 build" in sd8g2.stderr  # not in the bundle


def test_a_tampered_bundle_is_refused_naming_the_member(
    source: tuple[dict[str, str], str, Path], tmp_path: Path
) -> None:
    a, _, _ = source
    bundle = tmp_path / "bundle.tar"
    run(a, "bundle", "create", "-m", "yolov8n", "-d", "sd8g3", "-p", "int8", "-o", str(bundle))
    tampered = tmp_path / "tampered.tar"
    victim = ""
    with tarfile.open(bundle) as src, tarfile.open(tampered, "w") as dst:
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("blobs/") and not victim:
                victim, data = member.name, bytes([data[0] ^ 1]) + data[1:]
            dst.addfile(member, io.BytesIO(data))
    c = home(tmp_path, "c")
    refused = run(c, "bundle", "import", str(tampered), ok=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert f"Bundle member '{victim}' (yolov8n@1.0.0 w8a8/" in refused.stderr and "was changed" in refused.stderr
    assert json.loads(run(c, "models", "--json").stdout) == []
    # A figure edited in bundle.json (with the members' list left consistent): the signed statement says otherwise.
    edited = tmp_path / "edited.tar"
    with tarfile.open(bundle) as src, tarfile.open(edited, "w") as dst:
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "bundle.json":
                data = data.replace(b'"latency_ms": 2.5', b'"latency_ms": 0.5')
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    err = run(c, "bundle", "import", str(edited), ok=False).stderr
    assert "latency_ms signed 2.5, now 0.5" in err
    assert json.loads(run(c, "models", "--json").stdout) == []
    not_a_bundle = tmp_path / "junk.tar"
    not_a_bundle.write_bytes(b"junk")
    assert "is not a readable bundle" in run(c, "bundle", "import", str(not_a_bundle), ok=False).stderr


def test_mirror_replicates_incrementally(source: tuple[dict[str, str], str, Path], tmp_path: Path) -> None:
    a, public_key, _ = source
    with running_server(a) as url:
        m = home(tmp_path, "mirror")
        args = ["mirror", "--from", url, "--models", "yolov8n", "-p", "int8", "-d", "sd8g3", "--json"]
        first = json.loads(run(m, *args).stdout)
        assert first["versions_created"] == ["yolov8n@1.0.0"] and first["blobs_stored"] == 2
        pub2 = write_publish_dir(tmp_path / "pub2", slug="yolov8n", version="1.1.0", builds=BUILDS[:2], seed=b"2")
        run(a, "publish", str(pub2))
        second = json.loads(run(m, *args).stdout)
        assert second["versions_created"] == ["yolov8n@1.1.0"] and second["versions_present"] == ["yolov8n@1.0.0"]
        assert second["blobs_stored"] == 1
    run(m, "key", "trust", public_key)
    assert json.loads(run(m, "verify", "yolov8n@1.0.0", "--json").stdout)["partial"] is True
    data = json.loads(run(m, "pull", "yolov8n", "-d", "sd8g3", "-p", "int8", "--json").stdout)
    assert data["version"] == "1.1.0"
    assert hashlib.sha256(Path(data["files"][0]["path"]).read_bytes()).hexdigest() == data["files"][0]["sha256"]
