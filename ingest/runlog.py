"""What a run tells its user: a log file per run and a live progress display (one task per model/precision).

The log lives at ``REGISTRY_HOME/ingest/logs/<run-id>.log``; its path is printed at the end and stored on each
ingest_runs row. The display is rich's Progress on stderr, shown only on a terminal and never with --json.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


def new_run_id() -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}"


class RunLog:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO = path.open("a", encoding="utf-8")

    def write(self, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
        for line in message.rstrip().splitlines() or [""]:
            self._fh.write(f"{stamp} {line}\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


class Display:
    """Progress per (model, precision). ``enabled=False`` (--json, non-TTY) makes every call a no-op."""

    def __init__(self, enabled: bool | None = None, console: Any = None):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.enabled = enabled
        self._console = console
        self._progress: Any = None
        self._tasks: dict[tuple[str, str], Any] = {}

    def __enter__(self) -> Display:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=self._console or Console(stderr=True),
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def stage(self, model: str, precision: str, stage: str, *, total: int = 1) -> None:
        if self._progress is None:
            return
        key = (model, precision)
        text = f"{model:<20} {precision:<7} {stage}"
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(text, total=total)
        else:
            self._progress.update(self._tasks[key], description=text)

    def done(self, model: str, precision: str, status: str) -> None:
        if self._progress is None:
            return
        self.stage(model, precision, status)
        task = self._tasks[(model, precision)]
        self._progress.update(task, completed=self._progress.tasks[task].total)
