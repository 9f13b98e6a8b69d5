"""Two costs of the API guard, each against a baseline measured in the same run.

    python benchmarks/api_guard.py [--seconds 5] [--body-mb 200]

1. Token-authenticated resolve vs anonymous resolve: the same ``GET /v1/resolve`` on one ``registry serve``
   (SQLite, 1 process), closed loop over a keep-alive httpx client, the two alternated in rounds so both see the
   same machine. Target: authenticated >= 0.9x anonymous (``last_used_at`` is written at most once a minute).
2. An anonymous ``POST /v1/versions`` with a ``--body-mb`` body: the server's RSS before and after (from
   /proc/<pid>/status VmRSS and VmHWM). Target: < 20 MB more. The baseline is the same server at rest.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import write_publish_dir  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kb(pid: int) -> tuple[int, int]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def _server_pid(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def _rate(client: httpx.Client, url: str, params: dict[str, str], headers: dict[str, str], seconds: float) -> float:
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        r = client.get(url, params=params, headers=headers)
        assert r.status_code == 200, r.text
        n += 1
    return n / seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0, help="per round and side (3 rounds)")
    ap.add_argument("--body-mb", type=int, default=200)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="api-guard-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env |= {"REGISTRY_HOME": str(work / "home"), "PYTHONPATH": str(ROOT)}
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    subprocess.run([*reg, "publish", str(write_publish_dir(work / "pub", slug="hello"))], env=env, check=True)
    token = subprocess.run(
        [*reg, "token", "create", "--scope", "read"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    port = _free_port()
    server = subprocess.Popen([*reg, "serve", "--port", str(port)], env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        params = {"model": "hello", "device": "sd8g3", "precision": "float"}
        anon, auth = [], []
        with httpx.Client() as client:
            _rate(client, f"{base}/v1/resolve", params, {}, 1.0)  # warm up
            for _ in range(3):
                anon.append(_rate(client, f"{base}/v1/resolve", params, {}, args.seconds))
                auth.append(
                    _rate(client, f"{base}/v1/resolve", params, {"Authorization": f"Bearer {token}"}, args.seconds)
                )
        a, t = sum(anon) / len(anon), sum(auth) / len(auth)
        print(f"resolve, anonymous (baseline):   {a:8.0f} req/s  rounds {[round(x) for x in anon]}")
        print(f"resolve, read token:             {t:8.0f} req/s  rounds {[round(x) for x in auth]}")
        print(f"ratio token/anonymous:           {t / a:8.2f}  (target >= 0.90)")

        pid = _server_pid(port)
        before, _ = _rss_kb(pid)
        chunk = b" " * (1 << 20)
        sent = 0

        def body():  # type: ignore[no-untyped-def]
            nonlocal sent
            for _ in range(args.body_mb):
                sent += len(chunk)
                yield chunk

        try:
            r = httpx.post(
                f"{base}/v1/versions",
                content=body(),
                headers={"Content-Type": "application/json", "Content-Length": str(args.body_mb << 20)},
                timeout=60,
            )
            answer = f"{r.status_code} {r.json()['error']}"
        except httpx.HTTPError as exc:  # the server answers and closes before the body is all sent
            answer = f"connection closed by the server after the answer ({type(exc).__name__})"
        time.sleep(0.5)
        after, peak = _rss_kb(pid)
        print(f"anonymous {args.body_mb} MB POST /v1/versions: {answer}; client sent {sent >> 20} MB before it")
        print(f"server RSS at rest (baseline):   {before / 1024:8.1f} MB")
        print(
            f"server RSS after the request:    {after / 1024:8.1f} MB  (+{(after - before) / 1024:.1f} MB, target < 20)"
        )
        print(f"server peak RSS (VmHWM):         {peak / 1024:8.1f} MB")
    finally:
        os.killpg(server.pid, 15)
        server.wait()


if __name__ == "__main__":
    main()
