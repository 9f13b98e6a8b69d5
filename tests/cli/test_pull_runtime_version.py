"""`registry pull --runtime-version`: a build that will not load on the runtime the app ships is refused with exit
code 3 naming what it needs, or another build of the request that loads is pulled; the same answer embedded, over
HTTP (CLI, SDK, API) and offline from the cache."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.cli.remote_pull import parse_pull_args
from registry.client.sdk import Client
from registry.errors import RuntimeIncompatible
from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
BUILDS = [
    {"precision": "w8a8", "runtime": "onnx", "requirements": {"runtimes": {"onnxruntime": "1.22"}}},
    {"precision": "w8a8", "runtime": "tflite", "requirements": {"runtimes": {"litert": "2.0.0"}}},
    {
        "precision": "w8a8",
        "runtime": "qnn_context_binary",
        "target": "sd8g3",
        "requirements": {"runtimes": {"qairt": "2.30"}, "qairt_version": "2.30.0", "htp_arch": "V75"},
    },
]
# (constraints, expected runtime, or None for a refusal)
CASES = [
    ([], "qnn_context_binary"),
    (["qairt=2.28"], "onnx"),
    (["qairt=2.28", "onnxruntime=1.20"], "tflite"),
    (["qairt=2.28", "onnxruntime=1.22.1", "litert=1.0"], "onnx"),
    (["qairt=2.28", "onnxruntime=1.20", "litert=1.0"], None),
]


def run(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    return proc


def _flags(constraints: list[str]) -> list[str]:
    return [arg for c in constraints for arg in ("--runtime-version", c)]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "server-cache")}
    run(env, "init")
    run(env, "publish", str(write_publish_dir(tmp_path / "pub", slug="yolov8", version="1.2.0", builds=BUILDS)))
    with running_server(env) as url:
        yield env, url


def test_cli_embedded_and_remote_agree_and_a_refusal_exits_3(
    served: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, url = served
    remote = {"REGISTRY_URL": url, "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache")}
    for constraints, runtime in CASES:
        args = ["pull", "yolov8", "-d", "sd8g3", "-p", "int8", "--json", *_flags(constraints)]
        if runtime is None:
            for side in (env, remote):
                out = run(side, *args, code=3)
                assert "needs onnxruntime >= 1.22; you have 1.20" in out.stderr
                assert "needs litert >= 2.0.0; you have 1.0" in out.stderr and "Traceback" not in out.stderr
            continue
        local, over_http = (json.loads(run(side, *args).stdout) for side in (env, remote))
        assert local["runtime"] == over_http["runtime"] == runtime, constraints
        assert local["build"] == over_http["build"]
    # the same refusal through typer's parser (--registry after the command is not a plain pull flag)
    out = run(env, "pull", "yolov8", "-d", "sd8g3", "-p", "w8a8", "-r", "onnx", "--runtime-version=ort=1.20", code=3)
    assert out.stderr.startswith("error: No build loads on the runtime you ship: yolov8@1.2.0 w8a8/onnx needs")


def test_sdk_and_api_over_http_and_offline_from_the_cache(
    served: tuple[dict[str, str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = served
    monkeypatch.setenv("REGISTRY_CACHE_DIR", str(tmp_path / "sdk-cache"))
    with Client(url) as client:
        assert client.pull("yolov8", "sd8g3", "w8a8", runtime_versions={"qairt": "2.28"}).runtime == "onnx"
        with pytest.raises(RuntimeIncompatible) as caught:
            client.pull("yolov8", "sd8g3", "w8a8", runtime="onnx", runtime_versions=["onnxruntime=1.21"])
        assert caught.value.extra["builds"] == [
            {"build": "yolov8@1.2.0 w8a8/onnx", "unmet": ["needs onnxruntime >= 1.22; you have 1.21"]}
        ]
    query = {"model": "yolov8", "device": "sd8g3", "precision": "w8a8"}
    answer = httpx.get(f"{url}/v1/resolve", params={**query, "runtime_version": ["qairt=2.28", "onnxruntime=1.20"]})
    assert answer.json()["runtime"] == "tflite"
    assert answer.json()["build"]["requirements"]["runtimes"] == {"litert": "2.0.0"}
    assert httpx.get(f"{url}/v1/resolve", params={**query, "runtime_version": "onnxruntime=new"}).status_code == 422
    refused = httpx.get(f"{url}/v1/resolve", params={**query, "runtime": "onnx", "runtime_version": "ort=1.2"})
    assert (refused.status_code, refused.json()["error"]) == (404, "runtime_incompatible")

    # offline: the cached onnx build (pulled above) is held to the constraint too
    monkeypatch.setenv("REGISTRY_OFFLINE", "1")
    with Client(url) as offline:
        assert offline.pull("yolov8", "sd8g3", "w8a8", runtime="onnx").runtime == "onnx"
        with pytest.raises(RuntimeIncompatible, match=r"needs onnxruntime >= 1\.22"):
            offline.pull("yolov8", "sd8g3", "w8a8", runtime="onnx", runtime_versions={"onnxruntime": "1.20"})


def test_the_fast_argument_parser_collects_repeated_runtime_versions() -> None:
    parsed = parse_pull_args(
        ["pull", "m", "-d", "x", "-p", "float", "--runtime-version", "ort=1.2", "--runtime-version=qairt=2.28"]
    )
    assert parsed is not None and parsed["runtime_versions"] == ["ort=1.2", "qairt=2.28"]
