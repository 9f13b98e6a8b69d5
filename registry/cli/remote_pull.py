"""``registry pull`` against a server (``REGISTRY_URL``): ``registry.Client.pull`` with a progress bar.

The warm path (build already cached) imports neither httpx, pydantic nor SQLAlchemy: one resolve request
over the standard library, then symlink checks. The progress bar (rich, on stderr) appears only when a
blob is actually downloaded, stderr is a terminal and ``--json`` is not given.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.client.pull import FileRef
    from registry.client.sdk import PullProgress
    from registry.settings import Settings


def pull_remote(
    settings: Settings,
    name: str,
    device: str,
    precision: str,
    runtime: str | None,
    version: str | None,
    alias_name: str | None,
    out_dir: Path | None,
    json_out: bool,
) -> dict[str, Any]:
    """Pull from the server (or, with REGISTRY_OFFLINE=1, from the cache alone); the ``--json`` result."""
    from registry.client.sdk import Client

    with Client(settings=settings) as client, _progress(enabled=not json_out and sys.stderr.isatty()) as bar:
        result = client.pull(name, device, precision, runtime, version, alias_name, out_dir, progress=bar)
    return result.to_json()


@contextmanager
def _progress(enabled: bool) -> Iterator[PullProgress | None]:
    if not enabled:
        yield None
        return
    state: dict[str, Any] = {}

    def on_bytes(f: FileRef, n: int) -> None:
        if "bar" not in state:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            bar.start()
            state["bar"] = bar
        bar = state["bar"]
        task = state.get(f.sha256)
        if task is None:
            task = state[f.sha256] = bar.add_task(f.path, total=f.size)
        bar.advance(task, n)

    try:
        yield on_bytes
    finally:
        if "bar" in state:
            state["bar"].stop()
