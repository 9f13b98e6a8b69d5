"""w8a8: 8-bit weights and activations, static QDQ with calibration (see ``static`` for the recipe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ingest.optimize import static
from ingest.optimize.base import Job

OPTIONS: Final = static.OPTIONS


def run(job: Job) -> tuple[Path, dict[str, Any]]:
    return static.run(job, static.W8A8)
