"""The README's "Using the catalog" from a client machine: no catalog of its own, a real `registry serve`, a token
saved by `registry login`. Every command goes through the same `registry.Client` as on the embedded catalog."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
HELLO = Path(__file__).resolve().parents[2] / "docs" / "examples" / "hello"


def run(
    env: dict[str, str], *args: str, ok: bool = True, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120, input=stdin, cwd=cwd
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def team(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """A server with an empty catalog, its admin's environment, and a client machine's environment."""
    server_env = {"REGISTRY_HOME": str(tmp_path / "server"), "REGISTRY_CACHE_DIR": str(tmp_path / "server-cache")}
    run(server_env, "init")
    client_env = {
        "REGISTRY_HOME": str(tmp_path / "client"),
        "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache"),
        "REGISTRY_CONFIG_DIR": str(tmp_path / "client-config"),
    }
    with running_server(server_env) as url:
        yield url, server_env, client_env


def test_readme_commands_work_against_a_server_after_login(
    team: tuple[str, dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    url, server_env, env = team
    admin = json.loads(run(server_env, "token", "create", "--scope", "admin", "--name", "ci", "--json").stdout)

    # Neither a catalog nor a server: told how to set up either.
    lost = run(env, "models", ok=False)
    assert lost.returncode != 0 and "registry init" in lost.stderr and "registry login" in lost.stderr
    assert "Traceback" not in lost.stderr

    # A wrong token is refused and nothing is saved; the right one is saved 0600.
    bad = run(env, "login", url, stdin="emr_not-a-token\n", ok=False)
    assert bad.returncode != 0 and "not valid" in bad.stderr
    assert not (tmp_path / "client-config" / "credentials.json").exists()
    run(env, "login", url, stdin=admin["token"] + "\n")
    saved = tmp_path / "client-config" / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and admin["token"] in saved.read_text()
    me = json.loads(run(env, "whoami", "--json").stdout)
    assert (me["url"], me["token_name"], me["scope"]) == (url, "ci", "admin")

    # README, "Using the catalog" (`registry init` is the server's), on the client machine.
    devices = json.loads(run(env, "devices", "--json").stdout)
    assert any(d["slug"] == "sd8g3" for d in devices)
    published = json.loads(run(env, "publish", str(HELLO), "--json").stdout)
    size = (HELLO / "model.onnx").stat().st_size
    assert published["created"] and (published["blobs_stored"], published["bytes_stored"]) == (1, size)
    again = json.loads(run(env, "publish", str(HELLO), "--json").stdout)
    assert not again["created"] and again["bytes_stored"] == 0  # the server had every blob: nothing uploaded
    cv = json.loads(run(env, "models", "--domain", "computer-vision", "--json").stdout)
    assert [m["slug"] for m in cv] == ["hello"]
    assert json.loads(run(env, "models", "--domain", "computer-vision", "--precision", "int8", "--json").stdout) == []
    shown = json.loads(run(env, "show", "hello@1.0.0", "--json").stdout)
    assert shown["version"]["version"] == "1.0.0" and len(shown["builds"]) == 1
    out = tmp_path / "models"
    human = run(env, "pull", "hello", "--device", "Samsung Galaxy S24", "--precision", "fp32", "-o", str(out))
    assert "hello@1.0.0 build" in human.stderr
    assert (out / "model.onnx").read_bytes() == (HELLO / "model.onnx").read_bytes()
    run(env, "alias", "hello", "stable", "1.0.0")
    pulled = json.loads(run(env, "pull", "hello", "-d", "sd8g3", "-p", "float", "--alias", "stable", "--json").stdout)
    (f,) = pulled["files"]
    assert f["path"].startswith(env["REGISTRY_CACHE_DIR"])
    assert hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest() == f["sha256"]

    # lock + sync --frozen, through the same server.
    app = tmp_path / "app"
    app.mkdir()
    (app / "registry.toml").write_text('[[model]]\nname = "hello"\ndevice = "sd8g3"\nprecision = "float"\n')
    run(env, "lock", cwd=app)
    synced = json.loads(run(env, "sync", "--frozen", "--json", cwd=app).stdout)
    assert [s["files"][0]["sha256"] for s in synced] == [f["sha256"]]

    deprecated = json.loads(run(env, "deprecate", "hello@1.0.0", "--reason", "use 2.x", "--json").stdout)
    assert deprecated["status"] == "deprecated"
    yanked = json.loads(run(env, "yank", "hello@1.0.0", "--reason", "wrong labels", "--json").stdout)
    assert yanked["status"] == "yanked"

    # Everything above landed on the server; the client machine still has no catalog of its own.
    assert json.loads(run(server_env, "show", "hello", "--json").stdout)["versions"][0]["status"] == "yanked"
    assert not (tmp_path / "client" / "catalog.db").exists()

    # Qualcomm's published figures go to the server's catalog too (the CSVs shipped with the package).
    run(env, "publish", str(write_publish_dir(tmp_path / "mnv2", slug="mobilenet-v2")))
    imported = json.loads(run(env, "import-published", "--json").stdout)
    assert imported["benchmarks"] > 0 and "mobilenet-v2" in imported["models"]
    again = json.loads(run(env, "import-published", "--json").stdout)
    assert again["benchmarks"] == 0 and again["already_present"] >= imported["benchmarks"]

    # REGISTRY_TOKEN overrides the saved token: a read token may read but not write.
    reader = json.loads(run(env, "token", "create", "--scope", "read", "--json").stdout)
    as_reader = {**env, "REGISTRY_TOKEN": reader["token"]}
    assert json.loads(run(as_reader, "whoami", "--json").stdout)["scope"] == "read"
    refused = run(as_reader, "alias", "hello", "beta", "1.0.0", ok=False)
    assert refused.returncode != 0 and "'read' scope" in refused.stderr

    # logout forgets the server; --registry still reaches it for one command (anonymous reads are open).
    run(env, "logout")
    assert json.loads(run(env, "whoami", "--json").stdout)["url"] is None
    listed = json.loads(run(env, "--registry", url, "models", "--json").stdout)
    assert [m["slug"] for m in listed] == ["hello", "mobilenet-v2"]
    pulled_again = json.loads(
        run(env, "pull", "hello@1.0.0", "-d", "sd8g3", "-p", "float", "--json", "--registry", url).stdout
    )
    assert pulled_again["files"][0]["sha256"] == f["sha256"]


def test_ingest_on_a_client_publishes_builds_figures_and_mlflow_links_to_the_server(tmp_path: Path) -> None:
    mlflow_uri = f"sqlite:///{tmp_path / 'team-mlflow.db'}"
    server_env = {
        "REGISTRY_HOME": str(tmp_path / "server"),
        "REGISTRY_CACHE_DIR": str(tmp_path / "server-cache"),
        "REGISTRY_MLFLOW_URI": mlflow_uri,  # advertised by GET /v1/info
    }
    run(server_env, "init")
    token = json.loads(run(server_env, "token", "create", "--scope", "publish", "--json").stdout)["token"]
    client_env = {
        "REGISTRY_HOME": str(tmp_path / "client"),
        "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache"),
        "REGISTRY_CONFIG_DIR": str(tmp_path / "client-config"),
        "REGISTRY_TOKEN": token,
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    args = ["ingest", "--onnx", str(HELLO / "model.onnx"), "--name", "hello", "--task", "classification"]
    args += ["--precisions", "float,int8", "--profile-runs", "3", "--json"]
    reader = json.loads(run(server_env, "token", "create", "--scope", "read", "--json").stdout)["token"]
    with running_server(server_env) as url:
        # a read-only token: refused before anything is built (not after every build, at publish)
        refused = run({**client_env, "REGISTRY_URL": url, "REGISTRY_TOKEN": reader}, *args, cwd=tmp_path, ok=False)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert "a 'read' token" in refused.stderr and "registry login" in refused.stderr
        assert not (tmp_path / "client" / "ingest" / "cache").exists()
        # cwd: an MLflow store given as a database URL keeps artifacts under ./mlruns
        summary = json.loads(run({**client_env, "REGISTRY_URL": url}, *args, cwd=tmp_path).stdout)
        assert summary["status"] == "succeeded" and summary["published"]["created"]
        assert summary["published"]["bytes_stored"] > 0
        shown = json.loads(run({**client_env, "REGISTRY_URL": url}, "show", "hello", "--json").stdout)
    assert not (tmp_path / "client" / "catalog.db").exists()
    assert {b["precision"] for b in shown["builds"]} == {"float", "w8a8"}
    for b in shown["builds"]:
        assert any(x["provenance"] == "measured-host" for x in b["benchmarks"])
        # fidelity to FP32 for every quantized build (the float build is the reference itself)
        assert b["precision"] == "float" or any(e["kind"] == "fidelity" for e in b["evaluations"])
        assert b["mlflow_model_version"] is not None
    assert shown["version"]["mlflow_run_id"] == summary["mlflow_run"]

    from mlflow.tracking import MlflowClient

    mlflow = MlflowClient(tracking_uri=mlflow_uri, registry_uri=mlflow_uri)
    versions = mlflow.search_model_versions("name='edge-registry.hello'")
    assert {v.tags["catalog.build_id"] for v in versions} == {str(b["id"]) for b in shown["builds"]}
