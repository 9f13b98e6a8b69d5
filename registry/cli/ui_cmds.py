"""``registry ui``: the Streamlit catalog, against a given API or an API it starts on the embedded catalog."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import typer

from registry.cli.output import info


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)


def ui(
    host: str = typer.Option("127.0.0.1", help="Interface the UI binds (0.0.0.0 for all)."),
    port: int = typer.Option(8501, help="TCP port of the UI."),
    api: str = typer.Option(
        "",
        "--api",
        envvar="REGISTRY_URL",
        help="URL of a running `registry serve` (default: REGISTRY_URL; without either, start one on the embedded "
        "catalog).",
    ),
) -> None:
    """Browse, compare and download builds in the browser (Streamlit). Stops the API it started on exit."""
    from registry.errors import InvalidInput, RegistryError, require

    require("streamlit", "ui")
    app_path = Path(__file__).resolve().parents[2] / "ui" / "app.py"
    if not app_path.is_file():
        raise RegistryError(f"The UI app is missing at {app_path}.", hint="Reinstall edge-model-registry[ui].")
    if api and not api.startswith(("http://", "https://")):
        raise InvalidInput(
            f"--api (or REGISTRY_URL) must be an http(s) URL, not '{api}'.", hint="e.g. --api http://127.0.0.1:8000"
        )
    server: subprocess.Popen[bytes] | None = None
    streamlit: subprocess.Popen[bytes] | None = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the children
    try:
        if not api:
            server, log, api = _spawn_api()
        env = {**os.environ, "REGISTRY_URL": api.rstrip("/")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(app_path.parents[1]), env.get("PYTHONPATH")]))
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(app_path),
            "--server.address", host, "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--global.developmentMode", "false",
        ]  # fmt: skip
        streamlit = subprocess.Popen(cmd, env=env)  # starts while the API does: both take seconds
        if server is not None:
            _wait_for_api(server, log, api)
            info(f"Started the API on the embedded catalog at {api}")
        info(f"Catalog UI on http://{host}:{port} (API {api}); Ctrl+C stops both.")
        try:
            code = streamlit.wait()
        except KeyboardInterrupt:
            code = 0
        if code:
            raise RegistryError(f"Streamlit exited with status {code}.", hint=f"Is port {port} free? Try --port.")
    finally:
        for proc in (streamlit, server):
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _spawn_api() -> tuple[subprocess.Popen[bytes], IO[bytes], str]:
    """`registry serve` on a free loopback port, its log file, and its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    # Not a pipe: a long-running server must never block on a full one.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([sys.executable, "-m", "registry", "serve", "--port", str(port)], stderr=log)
    return proc, log, f"http://127.0.0.1:{port}"


def _wait_for_api(proc: subprocess.Popen[bytes], log: IO[bytes], url: str) -> None:
    """Return once /healthz answers; a clear error with the server's own message when it cannot start."""
    import httpx

    from registry.errors import RegistryError

    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            log.seek(0)
            lines = [ln for ln in log.read().decode(errors="replace").splitlines() if ln.strip()]
            # The exception line of a traceback ("registry.errors.DatabaseNotReady: ...") or the CLI's "error: ...".
            pattern = re.compile(r"^(?:error|(?:[a-z_]+\.)*[A-Z][a-z]\w*): ")
            reason = next((ln for ln in reversed(lines) if pattern.match(ln)), "")
            raise RegistryError(
                f"The embedded API did not start: {reason.split(': ', 1)[-1] or 'see `registry serve`'}",
                hint="Run `registry init` first, or pass --api URL of a running `registry serve`.",
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RegistryError("The embedded API did not answer within 60 s.", hint="Try `registry serve` alone.")
        time.sleep(0.1)
