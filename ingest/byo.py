"""Bring-your-own models: an ONNX file (or several components) that no recipe describes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.errors import InvalidModelFile

if TYPE_CHECKING:
    from ingest.byo_data import Preprocess
    from ingest.byo_inputs import GivenShape


@dataclass(frozen=True)
class ModelSource:
    """What the pipeline ingests: the card, and one FP32 ONNX file per component."""

    slug: str
    name: str
    task: str
    domain: str
    license: str
    components: dict[str, Path]
    weights: str = "real"
    description: str = ""
    source_url: str | None = None
    card: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, list[dict[str, np.ndarray]]] | None = None  # per component; synthetic when None
    names: tuple[str, ...] = ()  # other names the model answers to in the catalog (a recipe's ``names``)
    # Files every build ships beside the model (a tokenizer, a label list): file name -> path.
    assets: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class ByoInputs:
    """What the user says about a bring-your-own model's inputs and data (``registry ingest --onnx/--torch``)."""

    shapes: dict[str, GivenShape] = field(default_factory=dict)  # --input-shape, for one size
    state: tuple[str, ...] = ()  # --state-input, beside the inputs recognized as state by name
    values: dict[str, float] = field(default_factory=dict)  # --input-value NAME=VALUE
    calibration_data: Path | None = None
    eval_data: Path | None = None
    preprocess: Preprocess | None = None
    accept_degenerate: bool = False
    size: str | None = None  # label of this size when the model is ingested at several


def check_onnx(path: Path) -> Any:
    """Load and check an ONNX file, or InvalidModelFile with what is wrong."""
    import onnx

    if not path.is_file():
        raise InvalidModelFile(f"{path} does not exist.", hint="Give the path of an .onnx file.")
    try:
        model = onnx.load(str(path), load_external_data=False)
        onnx.checker.check_model(model)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidModelFile(
            f"{path.name} is not a valid ONNX model: {first[:300]}",
            hint="Re-export it, or check that the file is complete.",
        ) from exc
    return model


def split(
    samples: Sequence[dict[str, np.ndarray]], held_out: int
) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    held_out = min(held_out, max(1, len(samples) // 4))
    return list(samples[:-held_out]), list(samples[-held_out:])
