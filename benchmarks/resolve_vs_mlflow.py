"""Resolve against MLflow's model registry answering the same question, on the same builds.

    MLFLOW_DISABLE_TELEMETRY=true python benchmarks/resolve_vs_mlflow.py [--builds 10000 100000]
        [--backend sqlite|postgres] [--seconds 10] [--concurrency 1 4] [--skip-http] [--skip-inprocess]

The question: "which build of model m00017 do I run on a Snapdragon 8 Gen 3 at w8a8?".
- ours: ``GET /v1/resolve?model=m00017&device=sd8g3&precision=w8a8`` (device alias resolution, latest active
  version, runtime preference, files with sha256 and download URL: one answer).
- MLflow: ``GET /api/2.0/mlflow/model-versions/search`` with
  ``filter=name='m00017' and tags.device='qualcomm-snapdragon-8gen3' and tags.precision='w8a8'``, on a store
  where every build is a model version of registered model m00017 tagged release/precision/runtime/device. MLflow
  is handed the chipset already resolved and returns one row per release; picking the newest is left to the
  caller and not timed. Both sides are given the same logical builds, bulk-inserted with SQLAlchemy core.

Two comparisons, labelled as such in the output:
1. HTTP: our API under uvicorn (``registry serve``, 1 process) vs a real ``mlflow server --workers 1``
   (needs the ``bench`` extra: flask, flask-cors, graphene, aiohttp beside mlflow-skinny), both over
   loopback, ``--concurrency`` closed-loop client processes each (one keep-alive ``http.client`` connection per
   process, every answer parsed and checked: the same light client for both sides, so neither side's figure is a
   client library's CPU time; before 2026-12-07 the clients were httpx threads in one process).
2. In-process: what our endpoint runs, ``resolve_in()`` (one pooled connection and one SQL statement per call;
   it falls back to the service-layer ``resolve()`` only for errors), vs mlflow's
   ``SqlAlchemyStore.search_model_versions`` on the same database backend.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.report import at_least, at_most, record

PRECISIONS = ("float", "fp16", "w8a8", "w8a16", "w4a16")
CHIPSET = "qualcomm-snapdragon-8gen3"
# Per version: every precision as a portable ONNX build and as a chipset-specific context binary.
TARGETS = (("onnx", "any"), ("qnn_context_binary", CHIPSET))
RELEASES_PER_MODEL = 5
BUILDS_PER_MODEL = RELEASES_PER_MODEL * len(PRECISIONS) * len(TARGETS)
EPOCH_MS = 1_764_000_000_000
WS = "default"  # MLflow's workspace column
INITDB_OPTS = ["-A", "scram-sha-256", "-E", "UTF8", "--no-sync"]


@dataclass(frozen=True)
class Stats:
    label: str
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(len(xs) * q))]


def slug(m: int) -> str:
    return f"m{m:05d}"


# ---------------------------------------------------------------- populating both stores with the same builds


def seed_ours(db_url: str, home: Path, n_models: int) -> None:
    """Our schema (registry/models): models -> versions -> builds -> build files -> blobs, as catalog_core.py."""
    from sqlalchemy import insert

    from registry.embedded import EmbeddedCatalog
    from registry.models import Blob, Build, BuildFile, Model, Version
    from registry.settings import get_settings

    catalog = EmbeddedCatalog(get_settings(home=home, database_url=db_url))
    catalog.init()
    models = [
        {
            "id": m + 1,
            "slug": slug(m),
            "name": f"M{m}",
            "task": "t",
            "domain": "vision",
            "license": "mit",
            "weights": "random",
            "card": {},
            "description": "",
        }
        for m in range(n_models)
    ]
    versions, builds, files, blobs = [], [], [], []
    vid = bid = 0
    for m in range(n_models):
        for v in range(RELEASES_PER_MODEL):
            vid += 1
            versions.append(
                {
                    "id": vid,
                    "model_id": m + 1,
                    "version": f"1.{v}.0",
                    "major": 1,
                    "minor": v,
                    "patch": 0,
                    "prerelease": "",
                    "status": "active",
                    "content_digest": "0" * 64,
                    "source": {},
                }
            )
            for p in PRECISIONS:
                for runtime, target in TARGETS:
                    bid += 1
                    sha = hashlib.sha256(str(bid).encode()).hexdigest()
                    builds.append(
                        {"id": bid, "version_id": vid, "precision": p, "runtime": runtime, "target": target}
                        | {"details": {}}
                    )
                    blobs.append({"sha256": sha, "size": 1})
                    files.append({"build_id": bid, "path": "model.bin", "blob_sha256": sha, "size": 1})
    with catalog.session() as s:
        for table, rows in ((Model, models), (Version, versions), (Build, builds), (Blob, blobs), (BuildFile, files)):
            s.execute(insert(table), rows)
    catalog.engine.dispose()


def seed_mlflow(db_url: str, artifacts: Path, n_models: int) -> None:
    """MLflow's schema, created by its own store (its migrations), then rows bulk-inserted with SQLAlchemy core."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore
    from sqlalchemy import MetaData, create_engine, insert

    SqlAlchemyStore(db_url).engine.dispose()  # type: ignore[no-untyped-call]  # runs MLflow's migrations on an empty database
    engine = create_engine(db_url)
    meta = MetaData()
    meta.reflect(engine, only=["registered_models", "model_versions", "model_version_tags"])
    rm, mv, tags = (meta.tables[t] for t in ("registered_models", "model_versions", "model_version_tags"))
    models, versions, tag_rows = [], [], []
    for m in range(n_models):
        name = slug(m)
        models.append(
            {"name": name, "creation_time": EPOCH_MS, "last_updated_time": EPOCH_MS, "description": ""}
            | {"workspace": "default"}
        )
        n = 0
        for v in range(RELEASES_PER_MODEL):
            for p in PRECISIONS:
                for runtime, target in TARGETS:
                    n += 1
                    src = f"{artifacts.as_uri()}/{name}/{n}"
                    versions.append(
                        {"name": name, "version": n, "creation_time": EPOCH_MS + n, "last_updated_time": EPOCH_MS + n}
                        | {"description": "", "user_id": "", "current_stage": "None", "source": src}
                        | {"run_id": "", "status": "READY", "status_message": "", "run_link": ""}
                        | {"storage_location": src, "workspace": "default"}
                    )
                    tagged = {"release": f"1.{v}.0", "precision": p, "runtime": runtime, "device": target}
                    for key, value in tagged.items():
                        tag_rows.append(
                            {"key": key, "value": value, "name": name, "version": n, "workspace": "default"}
                        )
    with engine.begin() as conn:
        conn.execute(insert(rm), models)
        conn.execute(insert(mv), versions)
        conn.execute(insert(tags), tag_rows)
    engine.dispose()


# ---------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _process(cmd: list[str], env: dict[str, str], health: str, log: Path, timeout: float = 90) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited early:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd} did not answer {health} within {timeout} s")
            time.sleep(0.2)
        yield
    finally:
        os.killpg(proc.pid, 15)  # our own process group: the server and its uvicorn child
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


@contextmanager
def our_server(db_url: str, home: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env |= {"REGISTRY_HOME": str(home), "REGISTRY_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "registry", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    url = f"http://127.0.0.1:{port}"
    with _process(cmd, env, f"{url}/healthz", home / "api.log"):
        yield url


@contextmanager
def mlflow_server(db_url: str, work: Path) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ) | {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    mlflow = str(Path(sys.executable).parent / "mlflow")
    cmd = [mlflow, "server", "--backend-store-uri", db_url, "--artifacts-destination", (work / "art").as_uri()]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    url = f"http://127.0.0.1:{port}"
    with _process(cmd, env, f"{url}/health", work / "mlflow.log"):
        yield url


# ---------------------------------------------------------------- load


def run_load(
    label: str, call: Callable[[Any, int], None], make_ctx: Callable[[], Any], seconds: float, conc: int
) -> Stats:
    """Closed loop: ``conc`` threads each issue calls back to back for ``seconds`` after a short warm-up."""
    lat: list[list[float]] = [[] for _ in range(conc)]
    counts = [0] * conc
    start = threading.Barrier(conc + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        ctx = make_ctx()
        rng = random.Random(i)
        for _ in range(20):  # warm-up: connections, caches, statement caches
            call(ctx, rng.randrange(1 << 30))
        start.wait()
        while (t0 := time.perf_counter()) < stop_at[0]:
            call(ctx, rng.randrange(1 << 30))
            lat[i].append((time.perf_counter() - t0) * 1000)
            counts[i] += 1
        if hasattr(ctx, "close"):
            ctx.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conc)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + 3600
    start.wait()
    t_begin = time.perf_counter()
    stop_at[0] = t_begin + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_begin
    return Stats(label, sum(counts), elapsed, [x for xs in lat for x in xs])


def query(n_models: int, r: int) -> tuple[str, str]:
    return slug(r % n_models), PRECISIONS[(r >> 16) % len(PRECISIONS)]


def _http_client(kind: str, url: str, n_models: int, seed: int, start_at: float, seconds: float, out: Any) -> None:
    """One client process (closed loop): one keep-alive ``http.client`` connection, a warm-up, then ``seconds`` of
    requests back to back, each answer checked; sends (requests, latencies) back. The same client for both sides,
    and a light one, so the figures are the servers' and not a client library's."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    rng = random.Random(seed)
    want = f"1.{RELEASES_PER_MODEL - 1}.0"

    def one() -> None:
        model, precision = query(n_models, rng.randrange(1 << 30))
        if kind == "ours":
            conn.request("GET", "/v1/resolve?" + urlencode({"model": model, "device": "sd8g3", "precision": precision}))
        else:
            flt = f"name='{model}' and tags.device='{CHIPSET}' and tags.precision='{precision}'"
            path = "/api/2.0/mlflow/model-versions/search?" + urlencode({"filter": flt, "max_results": 100})
            conn.request("GET", path)
        resp = conn.getresponse()
        body = json.loads(resp.read())
        if kind == "ours":
            ok = resp.status == 200 and body["version"] == want and body["runtime"] == "qnn_context_binary"
        else:
            ok = resp.status == 200 and len(body.get("model_versions", [])) == RELEASES_PER_MODEL
        if not ok:
            raise RuntimeError(f"{kind}: {resp.status}: {str(body)[:300]}")

    for _ in range(20):  # warm-up: the connection, the server's caches and statement caches
        one()
    while time.time() < start_at:
        time.sleep(0.001)
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    while (t0 := time.perf_counter()) < end:
        one()
        latencies.append((time.perf_counter() - t0) * 1000)
    conn.close()
    out.send(latencies)
    out.close()


def client_processes(target: Callable[..., None], args: Callable[[int, float], tuple[Any, ...]], n: int) -> list[Any]:
    """Run ``target(*args(i, start_at), pipe)`` in ``n`` spawned processes that start measuring together at
    ``start_at`` (after connecting and warming up); each sends one result back through its pipe."""
    ctx = mp.get_context("spawn")
    start_at = time.time() + 3.0 + 0.3 * n  # every client connected and warmed up before the clock starts
    pipes, procs = [], []
    for i in range(n):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=target, args=(*args(i, start_at), send))
        proc.start()
        send.close()
        pipes.append(receive)
        procs.append(proc)
    results = [pipe.recv() for pipe in pipes]
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise RuntimeError(f"a client failed (exit {proc.exitcode})")
    return results


def run_http_load(kind: str, url: str, n_models: int, seconds: float, conc: int) -> Stats:
    """``conc`` client processes against one server, all starting together; throughput over the measured window."""
    latencies = client_processes(_http_client, lambda i, at: (kind, url, n_models, i, at, seconds), conc)
    return Stats(kind, sum(len(xs) for xs in latencies), seconds, [x for xs in latencies for x in xs])


def inprocess_pair(
    ours_url: str, mlflow_url: str, home: Path, n_models: int
) -> tuple[Callable[[Any, int], None], Callable[[Any, int], None], Any, Any]:
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    from registry.api.routes.catalog_routes import resolve_in
    from registry.embedded import EmbeddedCatalog
    from registry.settings import get_settings

    catalog = EmbeddedCatalog(get_settings(home=home, database_url=ours_url))
    store = SqlAlchemyStore(mlflow_url)  # type: ignore[no-untyped-call]

    def ours_call(cat: EmbeddedCatalog, r: int) -> None:
        model, precision = query(n_models, r)
        res = resolve_in(cat, None, model, "sd8g3", precision)
        assert res.version == f"1.{RELEASES_PER_MODEL - 1}.0" and res.runtime == "qnn_context_binary"

    def mlflow_call(st: Any, r: int) -> None:
        model, precision = query(n_models, r)
        flt = f"name='{model}' and tags.device='{CHIPSET}' and tags.precision='{precision}'"
        rows = st.search_model_versions(filter_string=flt, max_results=100)
        assert len(rows) == RELEASES_PER_MODEL

    return ours_call, mlflow_call, catalog, store


# ---------------------------------------------------------------- databases


@contextmanager
def postgres_cluster(work: Path) -> Iterator[str]:
    """A private PostgreSQL cluster (as tests/fixtures/postgres.py); yields a server URL without database."""
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL binaries not found: apt-get install -y postgresql")
    bindir = Path(found[-1]).parent
    owner = "postgres" if os.geteuid() == 0 else None

    def as_owner(cmd: list[str]) -> list[str]:
        return ["runuser", "-u", owner, "--", *cmd] if owner else cmd

    root = Path(tempfile.mkdtemp(prefix="bench-pg-"))  # its own dir: the postgres user must own it
    sock = root / "sock"
    sock.mkdir()
    password = secrets.token_hex(12)
    (root / "pw").write_text(password)
    if owner:
        for p in (root, sock, root / "pw"):
            shutil.chown(p, owner)
    port = _free_port()
    subprocess.run(
        as_owner(
            [
                str(bindir / "initdb"),
                "-D",
                str(root / "data"),
                "-U",
                "registry",
                "--pwfile",
                str(root / "pw"),
                *INITDB_OPTS,
            ]
        ),
        check=True,
        capture_output=True,
    )
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c full_page_writes=off"
    pg_ctl = str(bindir / "pg_ctl")
    subprocess.run(
        as_owner([pg_ctl, "-D", str(root / "data"), "-o", opts, "-l", str(root / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://registry:{password}@127.0.0.1:{port}"
    finally:
        subprocess.run(as_owner([pg_ctl, "-D", str(root / "data"), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def databases(backend: str, work: Path, server: str | None, tag: str) -> tuple[str, str]:
    if backend == "sqlite":
        return f"sqlite:///{work / f'ours-{tag}.db'}", f"sqlite:///{work / f'mlflow-{tag}.db'}"
    import psycopg

    assert server
    with psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://") + "/postgres", autocommit=True) as c:
        for db in (f"ours_{tag}", f"mlflow_{tag}"):
            c.execute(f"CREATE DATABASE {db}")
    # MLflow's server builds its own engine from this URL; it speaks psycopg 3 through the +psycopg dialect.
    return f"{server}/ours_{tag}", f"{server}/mlflow_{tag}"


# ---------------------------------------------------------------- report


def row(kind: str, n: int, conc: int, ours: Stats, mlf: Stats) -> str:
    return (
        f"| {kind} | {n:,} | {conc} | {ours.rps:,.0f} | {ours.pct(0.5):.2f} | {ours.pct(0.99):.2f} "
        f"| {mlf.rps:,.0f} | {mlf.pct(0.5):.2f} | {mlf.pct(0.99):.2f} | {ours.rps / mlf.rps:.1f}x "
        f"| {mlf.pct(0.99) / ours.pct(0.99):.1f}x |"
    )


def _record(kind: str, n: int, conc: int, ours: Stats, mlf: Stats) -> None:
    """Targets as the issue states them (at 100,000 builds; reported against the same bar at other sizes)."""
    what = f"resolve {kind}, {n:,} builds, {conc} client(s)"
    ratio = ours.rps / mlf.rps
    record(
        "resolve_vs_mlflow",
        f"{what}: throughput vs MLflow",
        ratio,
        target=at_least(ratio, 10),
        baseline=f"MLflow {mlf.rps:,.0f} req/s",
        ours=f"{ours.rps:,.0f} req/s",
    )
    p99 = ours.pct(0.99)
    record(
        "resolve_vs_mlflow",
        f"{what}: our p99",
        p99,
        unit="ms",
        target=at_most(p99, 20),
        baseline=f"MLflow p99 {mlf.pct(0.99):.2f} ms",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--builds", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--seconds", type=float, default=10.0, help="measured seconds per side and setting")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--skip-inprocess", action="store_true")
    ap.add_argument("--quick", action="store_true", help="2,000 builds, 2 s per side, 1 client: shows it runs")
    args = ap.parse_args()
    if args.quick:
        args.builds, args.seconds, args.concurrency = [2_000], 2.0, [1]
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    work = Path(tempfile.mkdtemp(prefix="bench-resolve-", dir=os.environ.get("BENCH_DIR")))
    lines = [
        "| comparison | builds | client processes | ours req/s | ours p50 ms | ours p99 ms "
        "| MLflow req/s | MLflow p50 ms | MLflow p99 ms | throughput ratio | p99 ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print(f"load average at the start (1/5/15 min, {os.cpu_count()} CPUs): {os.getloadavg()}", flush=True)
    try:
        with postgres_cluster(work) if args.backend == "postgres" else _nothing() as server:
            for n_builds in args.builds:
                n_models = max(1, n_builds // BUILDS_PER_MODEL)
                ours_db, mlflow_db = databases(args.backend, work, server, str(n_builds))
                home = work / f"home-{n_builds}"
                t = time.perf_counter()
                seed_ours(ours_db, home, n_models)
                t_ours = time.perf_counter() - t
                t = time.perf_counter()
                seed_mlflow(mlflow_db, work / "art", n_models)
                t_mlflow = time.perf_counter() - t
                total = n_models * BUILDS_PER_MODEL
                print(
                    f"{args.backend}: {total:,} builds ({n_models} models x {RELEASES_PER_MODEL} releases x "
                    f"{len(PRECISIONS) * len(TARGETS)} builds) seeded: ours {t_ours:.1f} s, MLflow {t_mlflow:.1f} s",
                    flush=True,
                )
                if not args.skip_inprocess:
                    ours_call, mlflow_call, catalog, store = inprocess_pair(ours_db, mlflow_db, home, n_models)
                    o = run_load("ours", ours_call, _const(catalog), args.seconds, 1)
                    m = run_load("mlflow", mlflow_call, _const(store), args.seconds, 1)
                    lines.append(row(f"in-process, {args.backend}", total, 1, o, m))
                    _record(f"in-process, {args.backend}", total, 1, o, m)
                    print(lines[-1], flush=True)
                    catalog.engine.dispose()
                    store.engine.dispose()
                if not args.skip_http:
                    with our_server(ours_db, home) as ours_url, mlflow_server(mlflow_db, work) as mlflow_url:
                        for conc in args.concurrency:
                            o = run_http_load("ours", ours_url, n_models, args.seconds, conc)
                            m = run_http_load("mlflow", mlflow_url, n_models, args.seconds, conc)
                            lines.append(row(f"HTTP, {args.backend}", total, conc, o, m))
                            _record(f"HTTP, {args.backend}", total, conc, o, m)
                            print(lines[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("\n".join(lines))
    print(f"load average at the end (1/5/15 min, {os.cpu_count()} CPUs): {os.getloadavg()}")
    print("\nTargets: throughput ratio >= 10x and ours p99 < 20 ms at 100,000 builds.")


def _const(value: Any) -> Callable[[], Any]:
    return lambda: value


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
