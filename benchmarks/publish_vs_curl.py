"""Remote publish throughput against `curl -T` of the same number of bytes to the same server, in the same run.

    python benchmarks/publish_vs_curl.py [--size-mb 500] [--rounds 3]

Each round writes two fresh files of SIZE MB (random bytes, so the server holds neither): `curl -T` PUTs one to
`/v1/blobs/{sha256}` (the raw upload the server verifies and stores), and `registry.Client.publish` publishes a
version whose build is the other (hash the file, ask which blobs the server lacks, stream the upload, post the
manifest). Rounds alternate; medians and the ratio curl_time / publish_time are printed (target >= 0.7).
Server: `registry serve` (one worker) on loopback with the embedded SQLite catalog and the local blob store.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

BIN = Path(sys.executable).parent / "registry"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 << 20))
            fh.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    size = args.size_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="publish-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        env |= {"REGISTRY_HOME": str(tmp / "home"), "REGISTRY_ACCESS_LOG": "false"}
        subprocess.run([str(BIN), "init"], env=env, check=True, capture_output=True)
        token = json.loads(
            subprocess.run(
                [str(BIN), "token", "create", "--scope", "publish", "--json"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )["token"]
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            curl_s, publish_s = [], []
            for i in range(args.rounds):
                raw = tmp / f"raw-{i}.bin"
                sha = _random_file(raw, size)
                t = time.perf_counter()
                curl = ["curl", "-sS", "-f", "-o", "/dev/null", "-T", str(raw), "-H", f"Authorization: Bearer {token}"]
                curl += ["-H", "Content-Type: application/octet-stream", f"{url}/v1/blobs/{sha}"]
                subprocess.run(curl, check=True)
                curl_s.append(time.perf_counter() - t)
                raw.unlink()

                pub = tmp / f"pub-{i}"
                (pub / "float").mkdir(parents=True)
                _random_file(pub / "float" / "model.onnx", size)
                manifest = {
                    "model": {
                        "slug": "bench",
                        "name": "bench",
                        "task": "classification",
                        "domain": "computer-vision",
                        "license": "mit",
                        "weights": "random",
                    },
                    "version": f"1.0.{i}",
                    "builds": [{"precision": "float", "runtime": "onnx", "files": [{"path": "float/model.onnx"}]}],
                }
                (pub / "manifest.yaml").write_text(yaml.safe_dump(manifest))
                from registry import Client

                t = time.perf_counter()
                with Client(url, token) as client:
                    result = client.publish(pub)
                publish_s.append(time.perf_counter() - t)
                assert result.created and result.bytes_stored == size, result
                (pub / "float" / "model.onnx").unlink()
                print(f"round {i + 1}: curl -T {curl_s[-1]:.2f} s, publish {publish_s[-1]:.2f} s", file=sys.stderr)
        finally:
            server.terminate()
            server.wait(20)
    c, p = statistics.median(curl_s), statistics.median(publish_s)
    mb = size / 1e6
    print(f"{args.size_mb} MiB, median of {args.rounds}:")
    print(f"  curl -T   {c:6.2f} s  {mb / c:7.1f} MB/s")
    print(f"  publish   {p:6.2f} s  {mb / p:7.1f} MB/s  (hash + missing-blob check + upload + manifest)")
    print(f"  ratio curl_time / publish_time = {c / p:.2f} (target >= 0.7)")


if __name__ == "__main__":
    main()
