"""Download benchmarks for the served catalog, each against a baseline measured in the same run.

    python benchmarks/download.py [--size-mb 200] [--rounds 5] [--warm-runs 10]

1. cold pull: a SIZE MB build pulled from `registry serve` over loopback into an empty cache (download,
   sha256, atomic rename, snapshot link), vs `curl` fetching the same blob URL to a file. Rounds alternate
   curl / SDK pull / CLI pull; medians are reported with the ratio curl_time / ours (target >= 0.80).
2. warm pull: `registry pull` with REGISTRY_URL of a build already in the cache (one resolve request), wall
   time with process start, p50 of N runs (target < 0.3 s), next to `python -c pass` as the floor.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.report import at_least, at_most, record

BIN = Path(sys.executable).parent / "registry"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], env: dict[str, str], label: str = "") -> float:
    """Wall time of a command; its CPU time (user + sys) is kept under ``label``."""
    cpu = _children_cpu()
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    if label:
        CPU.setdefault(label, []).append(_children_cpu() - cpu)
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warm-runs", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="20 MB, 1 round, 3 warm runs: shows it runs")
    args = ap.parse_args()
    if args.quick:
        args.size_mb, args.rounds, args.warm_runs = 20, 1, 3

    root = Path(tempfile.mkdtemp(prefix="bench-download-", dir=os.environ.get("BENCH_DIR")))
    base = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    server_env = base | {"REGISTRY_HOME": str(root / "home"), "REGISTRY_CACHE_DIR": str(root / "server-cache")}
    server = None
    try:
        pub = root / "pub"
        (pub / "w8a8-onnx-any").mkdir(parents=True)
        blob = pub / "w8a8-onnx-any" / "model.onnx"
        with blob.open("wb") as fh:
            for _ in range(args.size_mb):
                fh.write(os.urandom(1024 * 1024))
        manifest = {
            "model": {"slug": "bigmodel", "name": "Big", "task": "t", "domain": "nlp", "license": "mit"},
            "version": "1.0.0",
            "builds": [{"precision": "w8a8", "runtime": "onnx", "files": [{"path": "w8a8-onnx-any/model.onnx"}]}],
        }
        (pub / "manifest.yaml").write_text(yaml.safe_dump(manifest))
        subprocess.run([str(BIN), "init"], env=server_env, check=True, capture_output=True)
        subprocess.run([str(BIN), "publish", str(pub)], env=server_env, check=True, capture_output=True)
        blob.unlink()

        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port)],
            env=server_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        params = {"model": "bigmodel", "device": "sd8g3", "precision": "int8"}
        (f,) = httpx.get(f"{url}/v1/resolve", params=params).json()["build"]["files"]
        blob_url = f["url"]

        from registry import Client
        from registry.settings import get_settings

        client_env = base | {"REGISTRY_URL": url}
        curl_t, sdk_t, cli_t = [], [], []
        for i in range(args.rounds):
            out = root / f"curl-{i}.bin"
            curl_t.append(_timed(["curl", "-sSf", "-o", str(out), blob_url], base, "curl"))
            assert out.stat().st_size == f["size"]
            out.unlink()
            cache = root / f"sdk-cache-{i}"
            cpu = _self_cpu()
            t = time.perf_counter()
            with Client(url, settings=get_settings(cache_dir=cache)) as c:
                r = c.pull("bigmodel", "sd8g3", "int8")
            sdk_t.append(time.perf_counter() - t)
            CPU.setdefault("sdk", []).append(_self_cpu() - cpu)
            assert r.files[0].local_path.stat().st_size == f["size"]
            shutil.rmtree(cache)
            cache = root / f"cli-cache-{i}"
            cmd = [str(BIN), "pull", "bigmodel", "-d", "sd8g3", "-p", "int8", "--json"]
            cli_t.append(_timed(cmd, client_env | {"REGISTRY_CACHE_DIR": str(cache)}, "cli"))
            shutil.rmtree(cache)

        warm_env = client_env | {"REGISTRY_CACHE_DIR": str(root / "warm-cache")}
        cmd = [str(BIN), "pull", "bigmodel", "-d", "sd8g3", "-p", "int8"]
        _timed(cmd, warm_env)  # fill the cache
        warm = sorted(_timed(cmd, warm_env, "warm") for _ in range(args.warm_runs))
        floor = sorted(_timed([sys.executable, "-c", "pass"], base) for _ in range(args.warm_runs))

        mb = f["size"] / 1e6
        med = statistics.median
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"cold pull of {mb:.0f} MB over loopback, {args.rounds} rounds (medians):")
        print(f"  curl to a file        {med(curl_t):.3f} s  {mb / med(curl_t):7.0f} MB/s")
        print(
            f"  Client.pull (SDK)     {med(sdk_t):.3f} s  {mb / med(sdk_t):7.0f} MB/s"
            f"  ratio {med(curl_t) / med(sdk_t):.2f}  (target >= 0.80)"
        )
        print(
            f"  registry pull (CLI)   {med(cli_t):.3f} s  {mb / med(cli_t):7.0f} MB/s"
            f"  ratio {med(curl_t) / med(cli_t):.2f}  (process start included)"
        )
        print(
            f"  client CPU (user+sys) medians: curl {med(CPU['curl']):.3f} s, SDK {med(CPU['sdk']):.3f} s,"
            f" CLI {med(CPU['cli']):.3f} s"
        )
        print(f"  all rounds: curl {[round(x, 3) for x in curl_t]}")
        print(f"              sdk  {[round(x, 3) for x in sdk_t]}")
        print(f"              cli  {[round(x, 3) for x in cli_t]}")
        print(f"warm `registry pull` (build cached, 1 resolve request), {args.warm_runs} runs:")
        print(f"  p50 {med(warm):.3f} s  min {warm[0]:.3f} s  max {warm[-1]:.3f} s  (target < 0.3 s)")
        print(f"  CPU (user+sys) p50 {med(CPU['warm']):.3f} s")
        print(f"  `python -c pass` p50 {med(floor):.3f} s")
        sdk_ratio, cli_ratio = med(curl_t) / med(sdk_t), med(curl_t) / med(cli_t)
        curl_text = f"curl {med(curl_t):.3f} s ({mb / med(curl_t):.0f} MB/s)"
        name = f"cold pull of {mb:.0f} MB over loopback vs curl"
        record(
            "download",
            f"{name}, SDK",
            sdk_ratio,
            target=at_least(sdk_ratio, 0.80),
            baseline=curl_text,
            ours=f"Client.pull {med(sdk_t):.3f} s",
        )
        record(
            "download",
            f"{name}, CLI (process start included)",
            cli_ratio,
            baseline=curl_text,
            ours=f"registry pull {med(cli_t):.3f} s",
        )
        record(
            "download",
            "warm registry pull against a server, p50",
            med(warm),
            unit="s",
            target=at_most(med(warm), 0.3),
            baseline=f"python -c pass {med(floor):.3f} s",
        )
    finally:
        if server is not None:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
