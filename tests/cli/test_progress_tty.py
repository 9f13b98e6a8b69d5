"""In a terminal, publish and pull of a large file show bytes moved and the rate (embedded catalog and server);
piped, they print only the result."""

from __future__ import annotations

import os
import pty
import re
import stat
import subprocess
import sys
from pathlib import Path

from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]


def _in_terminal(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return its exit code and what the terminal received."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*REGISTRY, *args], env=cli_env({**env, "COLUMNS": "160"}), stdout=subprocess.DEVNULL, stderr=slave
    )
    os.close(slave)
    received = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    code = proc.wait(timeout=120)
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", received.decode(errors="replace"))


def test_publish_and_pull_of_a_large_file_show_bytes_and_rate_in_a_terminal(tmp_path: Path) -> None:
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([*REGISTRY, "init"], env=cli_env(env), check=True, capture_output=True, timeout=120)
    big = os.urandom(48 * 1024 * 1024)
    src = write_publish_dir(
        tmp_path / "pub", slug="bignet", builds=[{"precision": "float", "runtime": "onnx", "data": big}]
    )

    code, shown = _in_terminal(env, "publish", str(src))
    assert code == 0, shown
    assert re.search(r"float-onnx-any/model\.bin", shown), shown
    assert re.search(r"\d+(\.\d+)? MB", shown) and re.search(r"[0-9.]+ [kMG]?B/s", shown), shown

    code, shown = _in_terminal(env, "pull", "bignet", "-d", "sd8g3", "-p", "float", "-o", str(tmp_path / "out"))
    assert code == 0, shown
    assert re.search(r"50\.3/50\.3 MB", shown), shown  # bytes moved out of the total (48 MiB)
    assert re.search(r"[0-9.]+ [kMG]?B/s", shown), shown  # and the rate
    assert (tmp_path / "out").exists()

    with running_server(env) as url:  # the same through a server
        remote = {**env, "REGISTRY_URL": url, "REGISTRY_CACHE_DIR": str(tmp_path / "remote-cache")}
        code, shown = _in_terminal(remote, "pull", "bignet", "-d", "sd8g3", "-p", "float", "-o", str(tmp_path / "o2"))
    assert code == 0, shown
    assert re.search(r"50\.3/50\.3 MB", shown) and re.search(r"[0-9.]+ [kMG]?B/s", shown), shown
    # The same file mode whichever way the bytes came.
    pulled = [*(tmp_path / "out").rglob("*.bin"), *(tmp_path / "o2").rglob("*.bin")]
    assert len(pulled) == 2 and len({stat.S_IMODE(p.stat().st_mode) for p in pulled}) == 1

    # Piped (a script), the same pull prints no progress at all.
    piped = subprocess.run(
        [*REGISTRY, "pull", "bignet", "-d", "sd8g3", "-p", "float", "-o", str(tmp_path / "out2")],
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0 and "MB/s" not in piped.stderr
