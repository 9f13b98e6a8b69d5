"""Cache integrity costs, each against a baseline measured in the same run.

    python benchmarks/cache_verify.py [--size-mb 400] [--files 4] [--rounds 3] [--warm-runs 10]

1. `registry cache verify` (hash every cached blob again, re-stamp) vs `sha256sum` over the same blob files.
   Medians of ROUNDS alternating runs; ratio = sha256sum_time / ours (target >= 0.80).
2. warm `registry pull` from the local catalog whose blobs' stamps match (a stat and a small read per file, no
   re-hash): wall time with process start, p50 of N runs (target < 0.3 s), next to `python -c pass`.
3. the same warm pull right after a blob's stamp changed (touched, same bytes): the one re-hash it costs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent / "registry"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def publish(root: Path, env: dict[str, str], size_mb: int, files: int) -> None:
    pub = root / "pub"
    entries = []
    for i in range(files):
        path = pub / "float-onnx-any" / f"part{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            for _ in range(size_mb // files):
                fh.write(os.urandom(1024 * 1024))
        entries.append({"path": f"float-onnx-any/part{i}.bin"})
    manifest = {
        "model": {
            "slug": "bench",
            "name": "Bench",
            "task": "image-classification",
            "domain": "vision",
            "license": "mit",
        },
        "version": "1.0.0",
        "builds": [{"precision": "float", "runtime": "onnx", "target": "any", "files": entries}],
    }
    (pub / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    subprocess.run([str(BIN), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(BIN), "publish", str(pub)], env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=400)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warm-runs", type=int, default=10)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-cache-", dir=os.environ.get("BENCH_DIR")))
    base = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env = base | {"REGISTRY_HOME": str(root / "home"), "REGISTRY_CACHE_DIR": str(root / "cache")}
    try:
        publish(root, env, args.size_mb, args.files)
        pull = [str(BIN), "pull", "bench", "-d", "sd8g2", "-p", "float"]
        subprocess.run(pull, env=env, check=True, stdout=subprocess.DEVNULL)
        blobs = sorted(str(p) for p in (root / "cache").glob("models--bench/blobs/*") if p.is_file())
        total = sum(os.path.getsize(b) for b in blobs)
        ours, base_t = [], []
        for _ in range(args.rounds):
            base_t.append(timed(["sha256sum", *blobs], env))
            ours.append(timed([str(BIN), "cache", "verify", "--no-repair"], env))
        b, o = statistics.median(base_t), statistics.median(ours)
        print(f"cache verify over {len(blobs)} blobs, {total / 1e6:.0f} MB (median of {args.rounds}):")
        print(f"  sha256sum        {b:.3f} s  ({total / b / 1e6:.0f} MB/s)")
        print(f"  registry verify  {o:.3f} s  ({total / o / 1e6:.0f} MB/s)")
        print(f"  ratio sha256sum/ours = {b / o:.2f}  (target >= 0.80)")

        floor = statistics.median(timed([sys.executable, "-c", "pass"], env) for _ in range(args.warm_runs))
        warm = [timed(pull, env) for _ in range(args.warm_runs)]
        print(
            f"warm pull, stamps match: p50 {statistics.median(warm):.3f} s, max {max(warm):.3f} s "
            f"(target < 0.3 s; `python -c pass` {floor:.3f} s)"
        )
        os.utime(blobs[0])
        touched = timed(pull, env)
        one = os.path.getsize(blobs[0])
        t = time.perf_counter()
        with open(blobs[0], "rb") as fh:
            hashlib.file_digest(fh, "sha256")
        print(
            f"warm pull after one blob's stamp changed: {touched:.3f} s (hashing that {one / 1e6:.0f} MB blob "
            f"alone: {time.perf_counter() - t:.3f} s)"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
