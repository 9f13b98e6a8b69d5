"""`registry serve` for a team: two workers, health and readiness, Prometheus metrics summed over workers, JSON
access logs; S3 downloads through a public endpoint or proxied when clients cannot reach the store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from registry import Client
from registry.embedded import EmbeddedCatalog
from registry.service.publish import publish_directory
from registry.settings import get_settings
from tests.fixtures.server import free_port, running_server
from tests.helpers import cli_env, write_publish_dir


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_two_workers_answer_health_ready_and_metrics_of_both_with_access_logs(tmp_path: Path) -> None:
    env = cli_env({"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    pub = write_publish_dir(tmp_path / "pub", slug="tiny")
    subprocess.run([*reg, "publish", str(pub)], env=env, check=True, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*reg, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.2)
        ready = httpx.get(f"{url}/readyz").json()
        assert ready["checks"] == {"database": "ok", "store": "ok"}
        assert httpx.get(f"{url}/healthz").json()["status"] == "ok"
        n = 30
        for _ in range(n):  # a fresh connection each time: both workers take some
            r = httpx.get(f"{url}/v1/resolve", params={"model": "tiny", "device": "sd8g3", "precision": "float"})
            assert r.status_code == 200
        miss = httpx.get(f"{url}/v1/resolve", params={"model": "tiny", "device": "sd8g3", "precision": "w4a16"})
        assert miss.status_code == 404
        blob = r.json()["build"]["files"][0]
        assert len(httpx.get(blob["url"]).content) == blob["size"]

        for _ in range(4):  # whichever worker answers the scrape, the counts are the sum over both
            text = httpx.get(f"{url}/metrics").text
            assert _metric(text, "registry_http_requests_total", route="/v1/resolve", status="200") == n
            assert _metric(text, "registry_resolve_misses_total") == 1
            assert _metric(text, "registry_http_response_bytes_total", route="/v1/blobs/{sha256}") == blob["size"]
            assert _metric(text, "registry_http_request_duration_seconds_count", route="/v1/resolve") == n + 1
        time.sleep(0.5)
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
        resolves = [x for x in lines if x["route"] == "/v1/resolve"]
        assert len(resolves) == n + 1 and {x["status"] for x in resolves} == {200, 404}
        pids = {x["pid"] for x in lines}
        assert len(pids) == 2, "two worker processes served the requests"
        assert all(x["ms"] >= 0 and x["method"] == "GET" for x in lines)
    finally:
        proc.terminate()
        proc.wait(20)


def _s3_catalog(s3_server: Any, s3_bucket: str, sqlite_url: str, tmp_path: Path) -> tuple[dict[str, str], Path]:
    env = {"REGISTRY_HOME": str(tmp_path / "h"), "REGISTRY_DATABASE_URL": sqlite_url, **s3_server.env(s3_bucket)}
    settings = get_settings(
        home=tmp_path / "h",
        database_url=sqlite_url,
        store_url=env["REGISTRY_STORE_URL"],
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
    )
    cat = EmbeddedCatalog(settings)
    d = write_publish_dir(tmp_path / "pub", slug="s3model")
    with cat.session() as s:
        publish_directory(s, cat.store, d)
    cat.engine.dispose()
    return env, d


def test_s3_downloads_use_the_public_endpoint_or_go_through_the_api(
    s3_server: Any, s3_bucket: str, sqlite_url: str, tmp_path: Path
) -> None:
    env, d = _s3_catalog(s3_server, s3_bucket, sqlite_url, tmp_path)
    # The API reaches the store as 127.0.0.1; clients are told another name for it (as http://minio:9000 vs
    # the host's address in docker compose). The signature is made for that name, so the download works.
    public = re.sub(r"127\.0\.0\.1", "localhost", s3_server.endpoint_url)
    cache1 = get_settings(cache_dir=tmp_path / "c1")
    with running_server({**env, "REGISTRY_S3_PUBLIC_ENDPOINT_URL": public}) as url, Client(url, settings=cache1) as c:
        r = c.pull("s3model", "sd8g3", "float")
    (f,) = r.files
    stats = r.downloads[f.sha256]
    assert stats.statuses == [307, 200] and stats.redirected_to and stats.redirected_to.startswith(public)
    assert f.local_path.read_bytes() == (d / f.path).read_bytes()

    # Proxy mode: no redirect at all; the API streams the bytes (verified) from the store.
    with running_server({**env, "REGISTRY_S3_PROXY": "true"}) as url:
        with Client(url, settings=get_settings(cache_dir=tmp_path / "c2")) as c:
            r = c.pull("s3model", "sd8g3", "float")
        ranged = httpx.get(f"{url}/v1/blobs/{f.sha256}", headers={"Range": "bytes=10-19"})
    (f2,) = r.files
    assert r.downloads[f2.sha256].statuses == [200] and r.downloads[f2.sha256].redirected_to is None
    assert f2.local_path.read_bytes() == (d / f.path).read_bytes()
    assert ranged.status_code == 206 and ranged.content == (d / f.path).read_bytes()[10:20]
    assert os.environ.get("REGISTRY_S3_PROXY") is None
