"""A cached build damaged in place (same size) is never handed out: every pull path re-hashes a blob whose
stamp changed and repairs it, or refuses offline. Blobs are read-only; ``-o`` gives copies, ``--link`` links."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import Client
from registry.errors import IntegrityFailure
from registry.settings import get_settings
from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
BUILDS = [{"precision": "float", "runtime": "onnx"}, {"precision": "w8a8", "runtime": "onnx"}]
PULL = ["pull", "yolov8", "-d", "sd8g2", "-p", "float", "--json"]
TOML = '[[model]]\nname = "yolov8"\ndevice = "sd8g2"\nprecision = "float"\nversion = "1.0.0"\n'


def run(env: dict[str, str], *args: str, ok: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120, cwd=cwd)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def tamper(path: Path) -> None:
    """Overwrite 8 bytes in place: same size, different content."""
    path = Path(os.path.realpath(path))
    os.chmod(path, 0o644)
    with path.open("r+b") as fh:
        fh.seek(100)
        old = fh.read(8)
        fh.seek(100)
        fh.write(bytes(b ^ 0xFF for b in old))


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], str, Path]]:
    home = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "local-cache")}
    run(home, "init")
    pub = write_publish_dir(tmp_path / "pub", slug="yolov8", builds=BUILDS)
    run(home, "publish", str(pub))
    with running_server(home) as url:
        yield home, url, pub


def test_local_cli_pull_rehashes_a_changed_blob_and_fetches_it_again(
    served: tuple[dict[str, str], str, Path], tmp_path: Path
) -> None:
    home, _, pub = served
    first = json.loads(run(home, *PULL).stdout)["files"][0]
    json.loads(run(home, *PULL).stdout)  # now answered by the warm fast path
    blob = Path(os.path.realpath(first["path"]))
    assert stat.S_IMODE(blob.stat().st_mode) & 0o222 == 0, "cached blobs are read-only"
    tamper(blob)
    again = json.loads(run(home, *PULL).stdout)["files"][0]
    assert again["sha256"] == first["sha256"] == sha(Path(again["path"]))
    assert Path(again["path"]).read_bytes() == (pub / "float-onnx-any/model.bin").read_bytes()

    out = json.loads(run(home, *PULL, "-o", str(tmp_path / "out")).stdout)["files"][0]
    copy = Path(out["path"])
    assert not copy.is_symlink() and copy.stat().st_ino != blob.stat().st_ino
    with copy.open("r+b") as fh:  # an app editing its own copy in place does not touch the cache
        fh.write(b"edited!!")
    assert sha(blob) == first["sha256"]
    linked = json.loads(run(home, *PULL, "-o", str(tmp_path / "linked"), "--link").stdout)["files"][0]
    assert Path(linked["path"]).stat().st_ino == blob.stat().st_ino
    assert stat.S_IMODE(Path(linked["path"]).stat().st_mode) & 0o222 == 0


def test_remote_offline_and_sync_paths_never_hand_out_a_damaged_file(
    served: tuple[dict[str, str], str, Path], tmp_path: Path
) -> None:
    _, url, _ = served
    cache = tmp_path / "client-cache"
    with Client(url, settings=get_settings(cache_dir=cache)) as c:
        r = c.pull("yolov8", "sd8g2", "float")
        (f,) = r.files
        tamper(f.local_path)
        r2 = c.pull("yolov8", "sd8g2", "float")
    assert sha(r2.files[0].local_path) == f.sha256 and f.sha256 in r2.downloads, "fetched again"

    client_env = {"REGISTRY_URL": url, "REGISTRY_CACHE_DIR": str(cache), "REGISTRY_HOME": str(tmp_path / "c")}
    tamper(f.local_path)
    cli = json.loads(run(client_env, *PULL).stdout)["files"][0]
    assert sha(Path(cli["path"])) == f.sha256

    tamper(f.local_path)
    with Client(url, settings=get_settings(cache_dir=cache), offline=True) as c, pytest.raises(IntegrityFailure):
        c.pull("yolov8", "sd8g2", "float")
    assert not Path(os.path.realpath(f.local_path)).exists(), "a damaged blob is removed, never served"
    offline = run({**client_env, "REGISTRY_OFFLINE": "1"}, *PULL, ok=False)
    assert offline.returncode != 0 and "REGISTRY_OFFLINE" in offline.stderr

    app = tmp_path / "app"
    app.mkdir()
    (app / "registry.toml").write_text(TOML)
    run(client_env, "lock", cwd=app)
    run(client_env, "sync", cwd=app)
    tamper(f.local_path)
    frozen = run({**client_env, "REGISTRY_OFFLINE": "1"}, "sync", "--frozen", cwd=app, ok=False)
    assert frozen.returncode != 0 and "damaged" in frozen.stderr
    run(client_env, "sync", "--frozen", "-o", str(app / "models"), cwd=app)
    (placed,) = [p for p in (app / "models").rglob("*.bin")]
    assert sha(placed) == f.sha256 and not placed.is_symlink()
    assert placed.stat().st_ino != Path(os.path.realpath(f.local_path)).stat().st_ino, "sync -o copies"


def test_a_touched_but_intact_blob_is_rehashed_and_kept_and_a_damaged_partial_file_is_refetched(
    served: tuple[dict[str, str], str, Path], tmp_path: Path
) -> None:
    _, url, _ = served
    cache = tmp_path / "client-cache"
    with Client(url, settings=get_settings(cache_dir=cache)) as c:
        (f,) = c.pull("yolov8", "sd8g2", "float").files
        blob = Path(os.path.realpath(f.local_path))
        os.utime(blob)  # a new mtime, same bytes: hashed again, kept, not downloaded
        assert c.pull("yolov8", "sd8g2", "float").downloads == {}
        # A half-downloaded file whose kept half was damaged: resuming it would splice wrong bytes.
        data = blob.read_bytes()
        blob.unlink()
        part = blob.parent / ".incomplete" / f"{f.sha256}.part"
        part.write_bytes(b"\0" * 8 + data[8 : len(data) // 2])
        r = c.pull("yolov8", "sd8g2", "float")
    assert sha(r.files[0].local_path) == f.sha256 and r.downloads[f.sha256].resumed_from > 0
