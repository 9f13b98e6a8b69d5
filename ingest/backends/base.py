"""What a backend does for the pipeline: turn a portable build into what runs on a device, and profile it there.

A backend returns plain benchmark dicts in the manifest's ``BenchmarkEntry`` shape, each with its provenance
(``measured-device`` with a job id, ``measured-host``, ``estimated`` with the estimator's error). A backend
that cannot measure a device returns no figure for it, never a placeholder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class CompiledBuild:
    """A build as a backend made it for a device: its runtime, its target ('any' when portable), its files."""

    precision: str
    runtime: str
    target: str
    files: tuple[Path, ...]


class Backend(Protocol):
    name: str

    def compile(self, precision: str, files: Sequence[Path], device: str | None) -> CompiledBuild:
        """The build for ``device`` (``None``: the portable build)."""
        ...

    def profile(self, build: CompiledBuild, device: str) -> list[dict[str, Any]]:
        """Benchmarks of ``build`` on ``device``; empty when the backend cannot measure that device."""
        ...
