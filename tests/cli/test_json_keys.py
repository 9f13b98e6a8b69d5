"""`--json` outputs are an interface: their keys are exactly the ones docs/json.md lists, warm or cold, local or
through a server, online or offline."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "json.md"
REGISTRY = [sys.executable, "-m", "registry"]


def _documented() -> dict[str, set[str]]:
    """{command: keys} from docs/json.md (a heading per command, a table row per key)."""
    out: dict[str, set[str]] = {}
    current: list[str] = []
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^## (.+)$", line)
        if heading:
            current = re.findall(r"`registry (\w+) --json`", heading[1])
            for name in current:
                out[name] = set()
        row = re.match(r"^\| `([^`]+)` \|", line)
        if row and current:
            for name in current:
                out[name].add(row[1])
    return out


def _keys(value: Any, documented: set[str], prefix: str = "") -> set[str]:
    """The keys of ``value``, descending into an object or a list of objects only where the docs list sub-keys."""
    if isinstance(value, list):
        keys: set[str] = set()
        for item in value:
            keys |= _keys(item, documented, prefix)
        return keys
    if not isinstance(value, dict):
        return set()
    keys = set()
    for k, v in value.items():
        name = prefix + k
        keys.add(name)
        for sub in (f"{name}.", f"{name}[]."):
            if any(d.startswith(sub) for d in documented):
                keys |= _keys(v, documented, sub)
    return keys


def run(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    return proc


def _check(docs: dict[str, set[str]], command: str, printed: str) -> None:
    documented = docs[command]
    keys = _keys(json.loads(printed), documented)
    optional = {"version", "deleted"} if command == "alias" else set()  # alias prints one of the two
    assert keys - documented == set(), f"`{command} --json` prints keys docs/json.md does not list"
    assert documented - keys - optional == set(), f"docs/json.md lists keys `{command} --json` does not print"


def test_every_json_output_has_exactly_the_documented_keys(tmp_path: Path) -> None:
    docs = _documented()
    assert {"pull", "models", "show", "devices", "publish", "alias", "deprecate", "yank", "init"} <= set(docs)
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    _check(docs, "init", run(env, "init", "--json").stdout)
    _check(docs, "publish", run(env, "publish", str(ROOT / "docs/examples/hello"), "--json").stdout)
    pull = ["pull", "hello", "-d", "sd8g3", "-p", "fp32", "--json"]
    cold, warm = run(env, *pull).stdout, run(env, *pull).stdout
    assert json.loads(cold) == json.loads(warm)  # the warm answer (kept in the cache) adds nothing
    _check(docs, "pull", warm)
    _check(docs, "pull", run(env, *pull, "-o", str(tmp_path / "out")).stdout)
    _check(docs, "models", run(env, "models", "--json").stdout)
    _check(docs, "devices", run(env, "devices", "--json").stdout)
    _check(docs, "alias", run(env, "alias", "hello", "stable", "1.0.0", "--json").stdout)
    measured = [
        {
            "precision": "w8a8",
            "runtime": "onnx",
            "benchmarks": [{"provenance": "measured-host", "source": "host", "latency_ms": 2.0}],
            "evaluations": [
                {"dataset": "d", "metric": "top1", "kind": "accuracy", "value": 0.9, "sample_count": 10, "source": "h"}
            ],
        }
    ]
    run(env, "publish", str(write_publish_dir(tmp_path / "pub", slug="digits", builds=measured)))
    _check(docs, "show", run(env, "show", "digits", "--json").stdout)
    _check(docs, "deprecate", run(env, "deprecate", "hello@1.0.0", "--json").stdout)
    _check(docs, "yank", run(env, "yank", "hello@1.0.0", "--json").stdout)
    _check(docs, "alias", run(env, "alias", "hello", "stable", "--delete", "--json").stdout)

    with running_server(env) as url:  # the same keys through a server, and then offline from the cache
        remote = {**env, "REGISTRY_URL": url, "REGISTRY_CACHE_DIR": str(tmp_path / "remote-cache")}
        online = json.loads(run(remote, "pull", "hello@1.0.0", "-d", "sd8g3", "-p", "float", "--json").stdout)
    offline = run({**remote, "REGISTRY_OFFLINE": "1"}, "pull", "hello@1.0.0", "-d", "sd8g3", "-p", "float", "--json")
    assert set(json.loads(offline.stdout)) == set(online) == set(json.loads(cold))
    _check(docs, "pull", offline.stdout)


@pytest.mark.parametrize(
    ("flag", "value", "allowed"),
    [
        ("--domain", "vision", "audio, computer-vision, generative-ai, nlp"),
        ("--task", "detection", "classification"),
        ("--precision", "int3", "float, fp16, w8a8, w8a16, w4a16, mixed"),
        ("--runtime", "coreml", "onnx, tflite, qnn_dlc, qnn_context_binary, precompiled_qnn_onnx"),
    ],
)
def test_an_unknown_filter_value_exits_2_and_lists_the_allowed_ones(
    tmp_path: Path, flag: str, value: str, allowed: str
) -> None:
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    run(env, "init")
    run(env, "publish", str(ROOT / "docs/examples/hello"))
    out = run(env, "models", flag, value, code=2)
    assert out.stderr.splitlines()[0].startswith(f"error: Unknown {flag[2:]} '{value}'")
    assert allowed in out.stderr and "Traceback" not in out.stderr and out.stdout == ""
