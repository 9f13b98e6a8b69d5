"""Bring-your-own models: an ONNX file (or several components) that no recipe describes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import InvalidModelFile


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


_DTYPES = {1: np.float32, 10: np.float16, 6: np.int32, 7: np.int64, 9: np.bool_}


def synthetic_inputs(path: Path, count: int, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """Inputs shaped as the graph declares (symbolic dims -> 1): N(0,1) floats, small non-negative ints.
    Used for fidelity and calibration when the user brings no data; recorded as synthetic."""
    model = check_onnx(path)
    initializers = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        feed: dict[str, np.ndarray] = {}
        for inp in model.graph.input:
            if inp.name in initializers:
                continue
            t = inp.type.tensor_type
            shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in t.shape.dim]
            dtype = _DTYPES.get(t.elem_type)
            if dtype is None:
                raise InvalidModelFile(
                    f"Input '{inp.name}' has an element type ({t.elem_type}) the pipeline cannot synthesize.",
                    hint="Provide calibration data for this model.",
                )
            if np.issubdtype(dtype, np.floating):
                feed[inp.name] = rng.standard_normal(shape).astype(dtype)
            elif dtype is np.bool_:
                feed[inp.name] = np.ones(shape, dtype)
            else:
                feed[inp.name] = rng.integers(0, 100, shape).astype(dtype)
        samples.append(feed)
    return samples


def split(
    samples: Sequence[dict[str, np.ndarray]], held_out: int
) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    held_out = min(held_out, max(1, len(samples) // 4))
    return list(samples[:-held_out]), list(samples[-held_out:])
