"""Whole-file writes (``registry.atomic``): what the lockfile, credentials, the pull cache's refs and the ingest's
manifest rely on. A reader sees the old content or the new, never half, even when the writer is killed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from registry import atomic


def test_write_replaces_the_whole_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "registry.lock"
    target.write_text("old lock, quite a lot longer than the new one\n")
    atomic.write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.lock"]


def test_a_failing_writer_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "weights.pt"
    target.write_bytes(b"trained weights")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer failed mid-way")
    assert target.read_bytes() == b"trained weights"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.pt"]


def test_a_secret_is_never_readable_by_others_not_even_as_a_temp_file(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "credentials.json"
        atomic.write_text(target, '{"token": "reg_secret"}', mode=0o600)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_kill_9_in_the_middle_of_a_write_leaves_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "manifest.yaml"
    target.write_text("name: yolov8n\nversion: 1.0.0\n")
    writer = f"""
import os, signal, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from pathlib import Path
from registry import atomic
with atomic.replacing(Path({str(target)!r})) as tmp:
    with tmp.open("wb") as fh:
        fh.write(b"name: yolov8n\\nversion: 2.0.0\\nbuilds:\\n" + b"x" * (4 << 20))
        fh.flush()
        os.kill(os.getpid(), signal.SIGKILL)
"""
    done = subprocess.run([sys.executable, "-c", writer], capture_output=True, timeout=60)
    assert done.returncode == -9
    assert target.read_text() == "name: yolov8n\nversion: 1.0.0\n"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "manifest.yaml"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".manifest.yaml.") and leftovers[0].endswith(".tmp")
    atomic.write_text(target, "name: yolov8n\nversion: 2.0.0\n")  # the next write is not confused by the leftover
    assert target.read_text() == "name: yolov8n\nversion: 2.0.0\n"
