"""Resolve latency at team scale: p99 over HTTP at 1,000,000 builds on PostgreSQL, `registry serve --workers 2`,
8 client processes.

    python benchmarks/resolve_p99.py [--builds 1000000] [--workers 2] [--clients 8] [--seconds 20]
        [--rate 25] [--quick]

The catalog is seeded as in ``resolve_vs_mlflow.py`` (N/50 models x 5 releases x 5 precisions x {onnx on `any`,
qnn_context_binary on the Snapdragon 8 Gen 3 chipset}) in a private PostgreSQL cluster, and served by `registry
serve` as a team would run it (access log on, several workers). Each client is its own process with one keep-alive
connection (``http.client``, so the client's own CPU cost stays small on a shared host) asking
``GET /v1/resolve?model=...&device=sd8g3&precision=...`` for random models, and checking the answer.

Two loads, both reported:
- paced (the target): every client sends ``--rate`` requests per second on a fixed schedule, and a request's latency
  counts from the moment it was due (so a stall delays, and is charged to, every request queued behind it);
- closed loop (saturation): every client sends its next request as soon as the last one answered; what the server
  sustains, and the latency when the machine has no spare capacity at all.

Target: p99 < 10 ms for the paced load at 1,000,000 builds, 2 workers, 8 clients.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.report import at_most, record
from benchmarks.resolve_vs_mlflow import (
    BUILDS_PER_MODEL,
    PRECISIONS,
    RELEASES_PER_MODEL,
    _free_port,
    _process,
    client_processes,
    postgres_cluster,
    seed_ours,
    slug,
)


def _client(url: str, n_models: int, seed: int, start_at: float, seconds: float, rate: float, out: Any) -> None:
    """One client process: a keep-alive connection, a warm-up, then ``seconds`` of requests; sends its latencies."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    rng = random.Random(seed)
    want = f"1.{RELEASES_PER_MODEL - 1}.0"

    def one() -> None:
        r = rng.randrange(1 << 30)
        query = urlencode(
            {"model": slug(r % n_models), "device": "sd8g3", "precision": PRECISIONS[(r >> 16) % len(PRECISIONS)]}
        )
        conn.request("GET", f"/v1/resolve?{query}")
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200 or json.loads(body)["version"] != want:
            raise RuntimeError(f"{resp.status}: {body[:300]!r}")

    for _ in range(20):
        one()
    latencies: list[float] = []
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = time.perf_counter()
    end = t0 + seconds
    interval = 1.0 / rate if rate > 0 else 0.0
    due = t0 + rng.random() * interval  # clients spread over the first interval, not in lockstep
    while True:
        if interval:
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            begin = due
            due += interval
        else:
            begin = time.perf_counter()
        if begin >= end:
            break
        one()
        latencies.append((time.perf_counter() - begin) * 1000)
    conn.close()
    out.send(latencies)
    out.close()


def run_clients(url: str, n_models: int, clients: int, seconds: float, rate: float) -> tuple[list[float], float]:
    results = client_processes(_client, lambda i, at: (url, n_models, i, at, seconds, rate), clients)
    return [x for xs in results for x in xs], seconds


def pct(xs: list[float], q: float) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--builds", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate", type=float, default=25.0, help="requests per second per client, paced load")
    ap.add_argument("--quick", action="store_true", help="20,000 builds, 4 s per load: shows it runs")
    args = ap.parse_args()
    if args.quick:
        args.builds, args.seconds = 20_000, 4.0
    work = Path(tempfile.mkdtemp(prefix="bench-p99-", dir=os.environ.get("BENCH_DIR")))
    print(f"load average at the start (1/5/15 min, {os.cpu_count()} CPUs): {os.getloadavg()}", flush=True)
    try:
        with postgres_cluster(work) as server:
            import psycopg

            admin = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute("CREATE DATABASE ours")
            db_url = f"{server}/ours"
            n_models = max(1, args.builds // BUILDS_PER_MODEL)
            t = time.perf_counter()
            seed_ours(db_url, work / "home", n_models)
            total = n_models * BUILDS_PER_MODEL
            print(f"postgres: {total:,} builds seeded in {time.perf_counter() - t:.1f} s", flush=True)
            with psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://") + "/ours") as c:
                c.execute("ANALYZE")
            port = _free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
            env |= {"REGISTRY_HOME": str(work / "home"), "REGISTRY_DATABASE_URL": db_url}
            cmd = [sys.executable, "-m", "registry", "serve", "--host", "127.0.0.1", "--port", str(port)]
            cmd += ["--workers", str(args.workers)]
            url = f"http://127.0.0.1:{port}"
            with _process(cmd, env, f"{url}/readyz", work / "api.log"):
                for label, rate in (("paced", args.rate), ("closed loop", 0.0)):
                    lat, secs = run_clients(url, n_models, args.clients, args.seconds, rate)
                    p50, p99 = pct(lat, 0.5), pct(lat, 0.99)
                    what = f"resolve HTTP p99, postgres, {total:,} builds, --workers {args.workers}, "
                    what += f"{args.clients} clients, {label}" + (f" at {rate:g} req/s each" if rate else "")
                    print(f"{what}: {len(lat) / secs:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms", flush=True)
                    record(
                        "resolve_p99",
                        what,
                        p99,
                        unit="ms",
                        target=at_most(p99, 10) if rate else None,
                        ours=f"{len(lat) / secs:,.0f} req/s, p50 {p50:.2f} ms",
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end (1/5/15 min, {os.cpu_count()} CPUs): {os.getloadavg()}")


if __name__ == "__main__":
    main()
