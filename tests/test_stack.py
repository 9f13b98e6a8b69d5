"""The production stack of docker-compose.yml, run for real as local processes (`make stack`).

No Docker engine here, so each service of the compose file becomes a process on 127.0.0.1, and everything a
container would get comes from the compose file itself: each service's `environment` (interpolated as
`docker compose` does, with the variables docs/deploy.md tells an operator to export) and its `command`. Only
host names change: `postgres:5432`, `minio:9000`, `mlflow:5000`, `api:8000` and the published `localhost:9000`
become the local processes' addresses. PostgreSQL is a private cluster, SeaweedFS stands in for MinIO (an S3
server that enforces SigV4 credentials), MLflow is `mlflow server` on PostgreSQL with artifacts proxied to the
bucket, the API is `registry serve --workers 2`, and the UI is `registry ui` talking to the API only.

A separate client home then does what docs/deploy.md's "Clients" shows: `registry login`, `registry ingest
digits-cnn` to the server (builds made here, published there, recorded in the server's MLflow), `models`, `pull`
through a presigned redirect to the bucket, `lock` + `sync --frozen`, and the UI in Chromium showing the model.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fixtures.compose import interpolate, services
from tests.fixtures.s3 import S3Server
from tests.fixtures.server import free_port
from tests.helpers import cli_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.s3]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]


@dataclass
class Stack:
    api: str
    ui: str
    mlflow: str
    s3: S3Server
    admin_env: dict[str, str]  # what `docker compose exec api ...` runs with
    logs: Path


def _executable(name: str) -> list[str]:
    """A compose command's program as this checkout runs it."""
    if name == "registry":
        return [sys.executable, "-m", "registry"]
    return [str(Path(sys.executable).parent / name)]


def _localize(value: str, hosts: dict[str, str]) -> str:
    for inside, outside in hosts.items():
        value = value.replace(inside, outside)
    return value


def _with_flag(command: list[str], flag: str, value: str) -> list[str]:
    out = list(command)
    out[out.index(flag) + 1] = value
    return out


class Processes:
    """The long-running services, each logging to a file; stopped in reverse order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "MLFLOW_", "AWS_"))}
        base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        with (self.logs / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                [*_executable(command[0]), *command[1:]],
                env=base | env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append((name, proc))
        return proc

    def wait_healthy(self, name: str, url: str, seconds: float = 120) -> None:
        proc = dict(self.running)[name]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}: {self.tail(name)}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"{name} was not healthy at {url} within {seconds} s: {self.tail(name)}")

    def tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        for _name, proc in reversed(self.running):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _name, proc in reversed(self.running):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _create_database(server_url: str, name: str) -> None:
    import psycopg

    dsn = server_url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]


def _s3_client(s3: S3Server) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
        region_name="us-east-1",
    )


@pytest.fixture(scope="module")
def stack(postgres_server: str, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    pg = urlsplit(postgres_server)
    # What an operator exports before `docker compose up` (docs/deploy.md, "Start it").
    variables = {
        "POSTGRES_PASSWORD": pg.password or "",
        "S3_ACCESS_KEY": s3_server.access_key,
        "S3_SECRET_KEY": s3_server.secret_key,
    }
    compose = interpolate(services(), variables)
    api_port, ui_port, mlflow_port = free_port(), free_port(), free_port()
    s3_host = urlsplit(s3_server.endpoint_url).netloc
    hosts = {
        "@postgres:5432": f"@{pg.hostname}:{pg.port}",
        "http://minio:9000": s3_server.endpoint_url,
        "localhost:9000": s3_host,  # the port compose publishes for presigned URLs
        "http://mlflow:5000": f"http://127.0.0.1:{mlflow_port}",
        "http://api:8000": f"http://127.0.0.1:{api_port}",
    }

    def env_of(name: str) -> dict[str, str]:
        return {k: _localize(v, hosts) for k, v in compose[name]["environment"].items()}

    def command_of(name: str, port: int) -> list[str]:
        command = [_localize(part, hosts) for part in compose[name]["command"]]
        return _with_flag(_with_flag(command, "--host", "127.0.0.1"), "--port", str(port))

    logs = tmp_path_factory.mktemp("stack-logs")
    procs = Processes(logs)
    with ExitStack() as cleanup:
        cleanup.callback(procs.stop)
        # postgres: the image creates POSTGRES_DB for POSTGRES_USER.
        assert compose["postgres"]["environment"]["POSTGRES_USER"] == pg.username
        _create_database(postgres_server, compose["postgres"]["environment"]["POSTGRES_DB"])
        # mlflow-db and mlflow-bucket: the one-shot services' effects.
        _create_database(postgres_server, compose["mlflow-db"]["environment"]["MLFLOW_DB"])
        _s3_client(s3_server).create_bucket(Bucket=compose["mlflow-bucket"]["command"][-1].split("/", 1)[1])
        # migrate: the one-shot schema, device catalog and registry bucket.
        migrate = compose["migrate"]["command"]
        done = subprocess.run(
            [*_executable(migrate[0]), *migrate[1:]],
            env=cli_env(env_of("migrate")),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        # mlflow, api, ui: started as compose orders them, each waited for on its own health check's path.
        procs.start("mlflow", command_of("mlflow", mlflow_port), env_of("mlflow"))
        procs.start("api", command_of("api", api_port), env_of("api"))
        procs.wait_healthy("mlflow", f"http://127.0.0.1:{mlflow_port}/health")
        procs.wait_healthy("api", f"http://127.0.0.1:{api_port}/readyz")
        procs.start("ui", command_of("ui", ui_port), env_of("ui"))
        procs.wait_healthy("ui", f"http://127.0.0.1:{ui_port}/_stcore/health")
        yield Stack(
            api=f"http://127.0.0.1:{api_port}",
            ui=f"http://127.0.0.1:{ui_port}",
            mlflow=f"http://127.0.0.1:{mlflow_port}",
            s3=s3_server,
            admin_env=env_of("api"),
            logs=logs,
        )


def _run(env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=900,
        input=stdin,
        cwd=cwd,
    )
    assert done.returncode == 0, f"registry {' '.join(args)}: {done.stderr[-3000:]}"
    return done.stdout


def test_a_team_ingests_lists_pulls_locks_and_browses_on_the_compose_stack(stack: Stack, tmp_path: Path) -> None:
    # The operator's first token, as docs/deploy.md runs it inside the api container.
    admin = json.loads(_run(stack.admin_env, "token", "create", "--scope", "admin", "--name", "ops", "--json"))

    client = {
        "REGISTRY_HOME": str(tmp_path / "client-home"),
        "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache"),
        "REGISTRY_CONFIG_DIR": str(tmp_path / "client-config"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "HF_HUB_OFFLINE": "1",
    }
    _run(client, "login", stack.api, stdin=admin["token"] + "\n")
    me = json.loads(_run(client, "whoami", "--json"))
    assert (me["url"], me["token_name"], me["scope"]) == (stack.api, "ops", "admin")

    # Ingest on the client: built here, published to the server, recorded in the MLflow the server advertises.
    ingest = ["ingest", "digits-cnn", "--precisions", "float,w8a8", "--devices", "sd8g3"]
    summary = json.loads(_run(client, *ingest, "--profile-runs", "3", "--executor", "serial", "--json", cwd=tmp_path))
    assert summary["status"] == "succeeded" and summary["published"]["bytes_stored"] > 0
    assert not (tmp_path / "client-home" / "catalog.db").exists(), "the client keeps no catalog of its own"

    models = json.loads(_run(client, "models", "--json"))
    assert [m["slug"] for m in models] == ["digits-cnn"]
    shown = json.loads(_run(client, "show", "digits-cnn", "--json"))
    assert {b["precision"] for b in shown["builds"]} == {"float", "w8a8"}
    assert all(b["mlflow_model_version"] is not None for b in shown["builds"])

    from mlflow.tracking import MlflowClient

    mlflow = MlflowClient(tracking_uri=stack.mlflow, registry_uri=stack.mlflow)
    versions = mlflow.search_model_versions("name='edge-registry.digits-cnn'")
    assert {v.tags["catalog.build_id"] for v in versions} == {str(b["id"]) for b in shown["builds"]}
    artifacts = _s3_client(stack.s3).list_objects_v2(Bucket="mlflow").get("KeyCount", 0)
    assert artifacts > 0, "MLflow proxied the run's artifacts to its bucket"

    # pull: the API answers a download with a 307 to a URL presigned for the store's public address.
    pulled = json.loads(_run(client, "pull", "digits-cnn", "-d", "sd8g3", "-p", "w8a8", "--json"))
    (file,) = pulled["files"]
    assert hashlib.sha256(Path(file["path"]).read_bytes()).hexdigest() == file["sha256"]
    redirect = httpx.get(f"{stack.api}/v1/blobs/{file['sha256']}", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith(stack.s3.endpoint_url + "/")
    assert hashlib.sha256(httpx.get(redirect.headers["location"]).content).hexdigest() == file["sha256"]

    # An app pins it, and a frozen sync reproduces the lock through the same server.
    app = tmp_path / "app"
    app.mkdir()
    (app / "registry.toml").write_text('[[model]]\nname = "digits-cnn"\ndevice = "sd8g3"\nprecision = "w8a8"\n')
    _run(client, "lock", cwd=app)
    synced = json.loads(_run(client, "sync", "--frozen", "--json", cwd=app))
    assert [s["files"][0]["sha256"] for s in synced] == [file["sha256"]]

    # The UI, which reaches the catalog only through the API, shows the model in a real browser.
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.goto(f"{stack.ui}/?device=sd8g3")
            expect(page.get_by_text("1 of 1 models — best build on Snapdragon 8 Gen 3 Mobile")).to_be_visible(
                timeout=60_000
            )
            page.get_by_role("button", name="Open model page").click()
            pull = page.get_by_text(re.compile(r"^registry pull digits-cnn --device sd8g3 --precision \w+"))
            expect(pull.first).to_be_visible(timeout=30_000)
        finally:
            browser.close()
