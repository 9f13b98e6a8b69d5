"""The Hugging Face-compatible endpoint, driven by the real ``huggingface_hub`` client against `registry serve`.

The client runs in a subprocess with its own HF_HOME and HF_HUB_OFFLINE unset (the test session sets it to 1,
and huggingface_hub reads it at import).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def hf_client(tmp_path: Path, code: str) -> Any:
    """Run ``code`` (which sets ``result``) with huggingface_hub in a clean process; returns ``result``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_", "REGISTRY_", "TRANSFORMERS_"))
    }
    env |= {"HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1"}
    script = "import json, huggingface_hub as hh\n" + code + "\nprint('RESULT=' + json.dumps(result))\n"
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT="))
    return json.loads(line.removeprefix("RESULT="))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """yolov8n 1.0.0 (stable) and 1.1.0 (latest), two builds each, served by a real uvicorn."""
    tmp = tmp_path_factory.mktemp("hf")
    env = {"REGISTRY_HOME": str(tmp / "home"), "REGISTRY_CACHE_DIR": str(tmp / "server-cache")}
    run(env, "init")
    builds = [{"precision": "w8a8", "runtime": "onnx"}, {"precision": "float", "runtime": "onnx"}]
    for version in ("1.0.0", "1.1.0"):
        pub = write_publish_dir(tmp / f"pub-{version}", slug="yolov8n", version=version, builds=builds)
        run(env, "publish", str(pub))
    run(env, "alias", "yolov8n", "stable", "1.0.0")
    with running_server(env) as url:
        yield url, tmp / "pub-1.0.0", tmp / "pub-1.1.0"


def test_hf_hub_download_by_version_alias_and_main(served: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, pub_old, pub_new = served
    code = f"""
result = {{}}
for rev in ("1.0.0", "stable", "main"):
    p = hh.hf_hub_download(repo_id="yolov8n", filename="w8a8/onnx/any/w8a8-onnx-any/model.bin", revision=rev,
                           endpoint={url!r})
    result[rev] = p
"""
    paths = hf_client(tmp_path, code)
    old = (pub_old / "w8a8-onnx-any/model.bin").read_bytes()
    new = (pub_new / "w8a8-onnx-any/model.bin").read_bytes()
    assert old != new
    assert Path(paths["1.0.0"]).read_bytes() == old
    assert Path(paths["stable"]).read_bytes() == old
    assert Path(paths["main"]).read_bytes() == new
    # The client's own cache layout: blobs named by our ETag (the sha256), refs for the alias and main.
    repo_dir = tmp_path / "hf-home" / "hub" / "models--yolov8n"
    assert (repo_dir / "blobs" / hashlib.sha256(new).hexdigest()).is_file()
    commit_stable = (repo_dir / "refs" / "stable").read_text()
    assert (repo_dir / "refs" / "1.0.0").read_text() == commit_stable
    assert (repo_dir / "refs" / "main").read_text() != commit_stable


def test_snapshot_download_with_allow_patterns(served: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, _, pub_new = served
    code = f"""
d = hh.snapshot_download(repo_id="yolov8n", revision="main", allow_patterns=["float/*", "*.md", "config.json"],
                         endpoint={url!r})
import pathlib
result = {{"dir": d, "files": sorted(str(p.relative_to(d)) for p in pathlib.Path(d).rglob("*") if p.is_file())}}
"""
    got = hf_client(tmp_path, code)
    assert got["files"] == ["README.md", "config.json", "float/onnx/any/float-onnx-any/model.bin"]
    snap = Path(got["dir"])
    assert (snap / "float/onnx/any/float-onnx-any/model.bin").read_bytes() == (
        pub_new / "float-onnx-any/model.bin"
    ).read_bytes()
    config = json.loads((snap / "config.json").read_text())
    assert config["version"] == "1.1.0" and {b["folder"] for b in config["builds"]} == {
        "float/onnx/any",
        "w8a8/onnx/any",
    }
    assert "yolov8n@1.1.0" in (snap / "README.md").read_text()


def test_model_info_and_missing_things_raise_the_hub_errors(served: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, _, _ = served
    code = f"""
from huggingface_hub import errors
api = hh.HfApi(endpoint={url!r})
info = api.model_info("yolov8n", revision="stable")
result = {{"sha": info.sha, "siblings": [s.rfilename for s in info.siblings]}}
for name, call in {{
    "repo": lambda: api.model_info("nope"),
    "revision": lambda: api.model_info("yolov8n", revision="9.9.9"),
    "entry": lambda: hh.hf_hub_download("yolov8n", "missing.bin", endpoint={url!r}),
}}.items():
    try:
        call()
        result[name] = None
    except Exception as exc:
        result[name] = type(exc).__name__
"""
    got = hf_client(tmp_path, code)
    assert len(got["sha"]) == 40
    assert "README.md" in got["siblings"] and "w8a8/onnx/any/w8a8-onnx-any/model.bin" in got["siblings"]
    assert got["repo"] == "RepositoryNotFoundError"
    assert got["revision"] == "RevisionNotFoundError"
    assert got["entry"] in ("RemoteEntryNotFoundError", "EntryNotFoundError")


def test_resolve_headers_and_range(served: tuple[str, Path, Path]) -> None:
    url, _, pub_new = served
    data = (pub_new / "w8a8-onnx-any/model.bin").read_bytes()
    path = f"{url}/yolov8n/resolve/main/w8a8/onnx/any/w8a8-onnx-any/model.bin"
    head = httpx.head(path)
    sha = hashlib.sha256(data).hexdigest()
    assert head.status_code == 200
    assert head.headers["etag"] == f'"{sha}"' and head.headers["x-linked-etag"] == f'"{sha}"'
    assert head.headers["x-linked-size"] == str(len(data)) and len(head.headers["x-repo-commit"]) == 40
    part = httpx.get(path, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    by_commit = httpx.get(
        f"{url}/yolov8n/resolve/{head.headers['x-repo-commit']}/w8a8/onnx/any/w8a8-onnx-any/model.bin"
    )
    assert by_commit.content == data


def test_revision_by_content_digest_and_a_tree_listing(served: tuple[str, Path, Path]) -> None:
    url, _, _ = served
    versions = httpx.get(f"{url}/v1/models/yolov8n").json()["versions"]
    old = next(v for v in versions if v["version"] == "1.0.0")
    info = httpx.get(f"{url}/api/models/yolov8n/revision/sha256:{old['content_digest']}").json()
    assert info["registry"]["version"] == "1.0.0"
    assert httpx.get(f"{url}/api/models/yolov8n/revision/stable").json()["sha"] == info["sha"]
    top = httpx.get(f"{url}/api/models/yolov8n/tree/stable").json()
    assert [(e["type"], e["path"]) for e in top] == [
        ("file", "README.md"),
        ("file", "config.json"),
        ("directory", "float"),
        ("directory", "w8a8"),
    ]
    deep = httpx.get(f"{url}/api/models/yolov8n/tree/stable/w8a8", params={"recursive": "true"}).json()
    (blob,) = [e for e in deep if e["type"] == "file"]
    assert blob["lfs"]["size"] == blob["size"] and len(blob["lfs"]["oid"]) == 64 and len(blob["oid"]) == 40
    missing = httpx.get(f"{url}/api/models/yolov8n/revision/9.9.9")
    assert missing.status_code == 404 and missing.headers["x-error-code"] == "RevisionNotFound"
