"""What every precision module receives (a Job) and returns (an OptimizeResult)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from registry.errors import InvalidInput


@dataclass(frozen=True)
class OptimizeResult:
    """The optimized model: ``path`` (the .onnx to load), ``files`` (it and its data), ``details``."""

    path: Path
    files: list[Path]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Job:
    """One optimize() call: the source, where the result goes, the calibration samples and the options."""

    src: Path
    out_path: Path
    scratch: Path
    precision: str
    model: Any  # the loaded, checked onnx.ModelProto
    calibration: Sequence[Mapping[str, np.ndarray]] | None
    options: Mapping[str, Any]

    def option(self, name: str, default: Any) -> Any:
        return self.options.get(name, default)

    def choice(self, name: str, default: str, allowed: Sequence[str]) -> str:
        value = str(self.options.get(name, default)).lower()
        if value not in allowed:
            raise InvalidInput(
                f"Option {name}={value!r} is not supported for precision '{self.precision}'.",
                hint=f"Use one of: {', '.join(allowed)}.",
            )
        return value

    def number(self, name: str, default: float, *, minimum: float | None = None) -> float:
        value = self.options.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"Option {name} must be a number, got {value!r}.")
        if minimum is not None and value < minimum:
            raise InvalidInput(f"Option {name} must be >= {minimum}, got {value}.")
        return float(value)
