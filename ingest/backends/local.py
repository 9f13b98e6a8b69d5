"""The local backend: portable ONNX builds (runtime ``onnx``, target ``any``), profiled on this host only.

Host figures (``measured-host``) come from the pipeline's profile stage. Per-device figures are not measured
here: until the estimator lands, the local backend records none for a device rather than a placeholder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.backends.base import CompiledBuild


class LocalBackend:
    name = "local"

    def compile(self, precision: str, files: Sequence[Path], device: str | None) -> CompiledBuild:
        return CompiledBuild(precision=precision, runtime="onnx", target="any", files=tuple(files))

    def profile(self, build: CompiledBuild, device: str) -> list[dict[str, Any]]:
        return []
