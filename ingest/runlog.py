"""What a run tells its user: a log file per run and a live progress display (one task per model/precision).

The log lives at ``REGISTRY_HOME/ingest/logs/<run-id>.log``; its path is printed at the end and stored on each
ingest_runs row. Third-party output (warnings, logging, native messages) goes to that log, not the terminal
(``third_party_output_to``; ``registry ingest -v`` leaves it on the terminal). The display is rich's Progress on
a terminal, plain progress lines elsewhere, and nothing with --json.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    """Progress of a run: one overall line (models and builds done out of the total, the current stage, elapsed
    time, ETA) and one line per (model, precision).

    On a terminal it is rich's live Progress; elsewhere (``enabled=False`` with a ``lines`` stream: CI, a pipe) the
    same facts as plain lines; with neither (``--json``) every call is a no-op."""

    def __init__(self, enabled: bool | None = None, console: Any = None, lines: TextIO | None = None):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.enabled = enabled
        self._console = console
        self._lines = None if enabled else lines
        self._progress: Any = None
        self._overall: Any = None
        self._tasks: dict[tuple[str, str], Any] = {}
        self._planned: dict[str, int] = {}
        self._finished: dict[str, int] = {}  # model -> precisions closed (published, or failed)
        self._built: set[tuple[str, str]] = set()  # (model, precision) built or failed: counted as a build done
        self._current = "starting"
        self._started = time.monotonic()

    def __enter__(self) -> Display:
        self._started = time.monotonic()
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self._console or Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            self._overall = self._progress.add_task(self._headline(), total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def plan(self, builds_per_model: dict[str, int]) -> None:
        """What the run will build: {model: number of precisions}; sets the totals of the overall line."""
        self._planned = dict(builds_per_model)
        if self._progress is not None:
            self._progress.update(self._overall, total=self._builds_total, description=self._headline())
        self._line(f"plan: {len(self._planned)} models, {self._builds_total} builds")

    def current(self, message: str) -> None:
        """What the run is doing now (shown on the overall line)."""
        self._current = message
        if self._progress is not None:
            self._progress.update(self._overall, description=self._headline())
        self._line(message)

    def stage(self, model: str, precision: str, stage: str, *, total: int = 1) -> None:
        if stage.startswith("built"):
            self._built.add((model, precision))
        if stage:
            self._current = f"{model}/{precision}: {stage}"
        if self._progress is None:
            if stage:
                self._line(f"{model}/{precision}: {stage}")
            return
        key = (model, precision)
        text = f"{model:<20} {precision:<7} {stage}"
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(text, total=total)
        else:
            self._progress.update(self._tasks[key], description=text)
        self._progress.update(self._overall, completed=self._builds_done, description=self._headline())

    def done(self, model: str, precision: str, status: str) -> None:
        self._finished[model] = self._finished.get(model, 0) + 1
        self._built.add((model, precision))
        if self._progress is None:
            self._line(f"{model}/{precision}: {status}")
            return
        self.stage(model, precision, status)
        task = self._tasks[(model, precision)]
        self._progress.update(task, completed=self._progress.tasks[task].total)
        self._progress.update(self._overall, completed=self._builds_done, description=self._headline())

    @property
    def _builds_total(self) -> int:
        return sum(self._planned.values())

    @property
    def _builds_done(self) -> int:
        return len(self._built)

    def _models_done(self) -> int:
        return sum(1 for m, n in self._planned.items() if self._finished.get(m, 0) >= n)

    def _headline(self) -> str:
        counts = f"models {self._models_done()}/{len(self._planned)}, builds {self._builds_done}/{self._builds_total}"
        return f"[bold]ingest[/bold] {counts} · {self._current}"

    def _line(self, message: str) -> None:
        if self._lines is None:
            return
        elapsed = time.monotonic() - self._started
        done, total = self._builds_done, self._builds_total
        eta = f", ETA {_clock(elapsed / done * (total - done))}" if done and total > done else ""
        head = f"[{self._models_done()}/{len(self._planned)} models, {done}/{total} builds, {_clock(elapsed)}{eta}]"
        self._lines.write(f"{head} {message}\n")
        self._lines.flush()


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


@contextmanager
def third_party_output_to(log_path: Path) -> Iterator[TextIO]:
    """Send everything written to this process's stderr (fd 2) to the run log, and yield a stream to the terminal.

    Libraries' warnings, logging and native messages (onnxruntime's quantizer INFO lines, float16 UserWarnings,
    torch export notes), in this process and in the worker processes it starts (they inherit fd 2), land in
    ``log_path``; the run's own progress and summary go to the yielded stream. Restored on exit, also on errors.
    """
    import warnings

    sys.stderr.flush()
    saved = os.dup(2)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    terminal = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="replace")
    os.dup2(log_fd, 2)
    os.close(log_fd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # each warning once per place, into the log
            yield terminal
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        terminal.close()
