"""``registry pull``: ``registry.Client.pull`` (embedded catalog or server) with a progress bar.

The warm path (build already cached) imports neither httpx, pydantic nor SQLAlchemy: one resolve request
over the standard library, then symlink checks. The progress bar (rich, on stderr) appears only when a
blob is actually downloaded, stderr is a terminal and ``--json`` is not given.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.client.backend import PullProgress


def pull_with_progress(
    name: str,
    device: str,
    precision: str,
    runtime: str | None,
    version: str | None,
    alias_name: str | None,
    out_dir: Path | None,
    json_out: bool,
    *,
    link: bool = False,
    runtime_versions: list[str] | None = None,
) -> dict[str, Any]:
    """``Client.pull`` (embedded catalog, server, or with REGISTRY_OFFLINE=1 the cache alone); the ``--json``."""
    from registry.client.sdk import Client

    with Client() as client, transfer_progress(enabled=not json_out and sys.stderr.isatty()) as bar:
        on_bytes: PullProgress | None = (lambda f, n: bar(f.path, f.size, n)) if bar else None
        result = client.pull(
            name,
            device,
            precision,
            runtime,
            version,
            alias_name,
            out_dir,
            progress=on_bytes,
            link=link,
            runtime_versions=runtime_versions,
        )
    return result.to_json()


# on_bytes(label, total bytes or None, bytes just moved)
Transfer = Callable[[str, "int | None", int], None]


@contextmanager
def transfer_progress(enabled: bool) -> Iterator[Transfer | None]:
    """A rich progress bar on stderr, started at the first byte moved (a warm pull never imports rich)."""
    if not enabled:
        yield None
        return
    state: dict[str, Any] = {}

    def on_bytes(label: str, total: int | None, n: int) -> None:
        if "bar" not in state:
            from rich.console import Console
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
                console=Console(stderr=True),  # stdout stays the command's answer
                transient=True,
            )
            bar.start()
            state["bar"] = bar
        bar = state["bar"]
        task = state.get(label)
        if task is None:
            task = state[label] = bar.add_task(label, total=total)
        bar.advance(task, n)

    try:
        yield on_bytes
    finally:
        if "bar" in state:
            state["bar"].stop()


_PULL_OPTIONS = {
    "--device": "device",
    "-d": "device",
    "--precision": "precision",
    "-p": "precision",
    "--version": "version",
    "-v": "version",
    "--alias": "alias_name",
    "-a": "alias_name",
    "--runtime": "runtime",
    "-r": "runtime",
    "--output": "out_dir",
    "-o": "out_dir",
}


def parse_pull_args(argv: list[str]) -> dict[str, Any] | None:
    """``registry pull`` arguments parsed without typer, or None to let typer handle them (help, mistakes).

    typer builds a pydantic TypeAdapter for every parameter on each run (~0.1-0.2 s of imports and schema
    building), which alone would break the warm pull's time budget; this covers exactly the documented flags.
    """
    if not argv or argv[0] != "pull":
        return None
    values: dict[str, Any] = {"json_out": False, "require_signature": False}
    model: str | None = None
    rest = argv[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--json":
            values["json_out"] = True
        elif arg == "--link":
            values["link"] = True
        elif arg == "--require-signature":
            values["require_signature"] = True
        elif arg.startswith("--runtime-version"):  # repeatable: RUNTIME=VERSION
            name, eq, inline = arg.partition("=")
            if name != "--runtime-version":
                return None
            if not eq:
                if i + 1 >= len(rest) or rest[i + 1].startswith("-"):
                    return None
                i += 1
                inline = rest[i]
            values.setdefault("runtime_versions", []).append(inline)
        elif arg.startswith("-"):
            name, eq, inline = arg.partition("=")
            key = _PULL_OPTIONS.get(name)
            if key is None or key in values:
                return None
            if eq:
                values[key] = inline
            elif i + 1 < len(rest) and not rest[i + 1].startswith("-"):
                i += 1
                values[key] = rest[i]
            else:
                return None
        elif model is None:
            model = arg
        else:
            return None
        i += 1
    if model is None or "device" not in values or "precision" not in values:
        return None
    if "out_dir" in values:
        values["out_dir"] = Path(values["out_dir"])
    for key in ("version", "alias_name", "runtime", "out_dir", "runtime_versions"):
        values.setdefault(key, None)
    values.setdefault("link", False)
    return {"model": model, **values}


def fast_pull(argv: list[str]) -> bool:
    """Run ``registry pull`` without typer's parsing when the arguments are plain; True when it ran."""
    parsed = parse_pull_args(argv)
    if parsed is None:
        return False
    from registry.cli.catalog_cmds import pull

    pull(**parsed)
    return True
