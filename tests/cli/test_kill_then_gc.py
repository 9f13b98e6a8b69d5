"""Writers killed with SIGKILL at random points (publish, HTTP upload, pull), then ``registry gc``: nothing left
behind, and no catalog row points at a missing or damaged blob. Bounded: REGISTRY_TEST_KILL_RUNS each (default 6;
the issue's 20 with REGISTRY_TEST_KILL_RUNS=20)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fixtures.server import free_port
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
RUNS = int(os.environ.get("REGISTRY_TEST_KILL_RUNS", "6"))
BIG = 40 * 1024 * 1024  # above the size where a local put copies in the kernel while it hashes


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=300)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def kill_after(cmd: list[str], env: dict[str, str], delay: float) -> None:
    proc = subprocess.Popen(cmd, env=cli_env(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [*REGISTRY, "serve", "--port", str(port)],
        env=cli_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90  # the machine is shared; a restart can be slow
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)


def payload(base: bytes, i: int) -> bytes:
    return hashlib.sha256(str(i).encode()).digest() + base[32:]


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def test_killed_publishes_uploads_and_pulls_leave_nothing_after_gc(tmp_path: Path) -> None:
    rng = random.Random(15)
    home = tmp_path / "home"
    env = {"REGISTRY_HOME": str(home), "REGISTRY_CACHE_DIR": str(tmp_path / "server-cache")}
    run(env, "init")
    base = os.urandom(BIG)

    kept = [{"precision": "float", "runtime": "onnx", "data": payload(base, 999)}]
    started = time.monotonic()
    run(env, "publish", str(write_publish_dir(tmp_path / "kept", slug="big", version="2.0.0", builds=kept)))
    whole = time.monotonic() - started  # kills land in the second half of a publish (copying), however fast it is
    for i in range(RUNS):  # 1. `registry publish`, killed while it copies and hashes
        d = write_publish_dir(
            tmp_path / f"pub{i}",
            slug="big",
            version=f"1.0.{i}",
            builds=[{"precision": "float", "runtime": "onnx", "data": payload(base, i)}],
        )
        kill_after([*REGISTRY, "publish", str(d)], env, rng.uniform(0.5, 1.0) * whole)

    port = free_port()
    server = start_server(env, port)
    token = run(env, "token", "create", "--scope", "publish", "--json").stdout
    token = json.loads(token)["token"]
    try:
        for i in range(RUNS):  # 2. HTTP uploads whose server is killed mid-body (the spool stays behind)
            data = payload(base, 100 + i)
            src = tmp_path / "upload.bin"
            src.write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            curl = subprocess.Popen(
                [
                    "curl",
                    "-s",
                    "-T",
                    str(src),
                    "--limit-rate",
                    "30M",
                    "-H",
                    f"Authorization: Bearer {token}",
                    f"http://127.0.0.1:{port}/v1/blobs/{sha}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.2, 1.0))
            server.send_signal(signal.SIGKILL)
            server.wait()
            curl.wait(timeout=30)
            port = free_port()
            server = start_server(env, port)

        client = {
            "REGISTRY_URL": f"http://127.0.0.1:{port}",
            "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache"),
            "REGISTRY_HOME": str(tmp_path / "client-home"),
        }
        pull = [*REGISTRY, "pull", "big@2.0.0", "-d", "sd8g2", "-p", "float"]
        for _ in range(RUNS):  # 3. pulls killed at random points
            kill_after(pull, client, rng.uniform(0.3, 1.5))
        final = json.loads(run(client, "pull", "big@2.0.0", "-d", "sd8g2", "-p", "float", "--json").stdout)
        (f,) = final["files"]
        assert hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest() == f["sha256"]
        assert not [p for p in (tmp_path / "client-cache").rglob("*") if p.name.endswith((".part", ".tmp"))]
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()

    dry = json.loads(run(env, "gc", "--grace", "0", "--dry-run", "--json").stdout)
    print("left behind by the kills:", {k: v for k, v in dry.items() if k != "blobs"}, len(dry["blobs"]), "blobs")
    assert dry["upload_spools"] > 0 and dry["leftover_bytes"] > 0, "the kills did leave something to clean"
    done = json.loads(run(env, "gc", "--grace", "0", "--json").stdout)
    assert done["leftover_bytes"] == dry["leftover_bytes"] and done["blob_bytes"] == dry["blob_bytes"]
    assert dir_bytes(home / "blobs" / "tmp") == 0 and dir_bytes(home / "uploads") == 0
    again = json.loads(run(env, "gc", "--grace", "0", "--json").stdout)
    assert again["leftover_bytes"] == 0 and again["blobs"] == []
    verify = json.loads(run(env, "store", "verify", "--json").stdout)
    assert verify["damaged"] == [] and verify["missing"] == [], "no row points at a missing or damaged blob"
    versions = json.loads(run(env, "show", "big", "--json").stdout)
    assert "2.0.0" in json.dumps(versions)
