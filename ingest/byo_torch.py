"""Bring-your-own torch models: a TorchScript file, or a whole pickled ``nn.Module``, exported with the zoo's
exporter from the input shapes the user gives (``--input-shape x:1x3x224x224``).

Security: a pickled module is loaded with ``torch.load(weights_only=False)``, which runs whatever code the file
carries. Only ingest checkpoints you trust. TorchScript files are tried first (``torch.jit.load`` runs no
pickled Python code). A bare state_dict has no architecture: write a recipe with a factory for it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import ExportFailed, InvalidModelFile
from ingest.zoo.base import ALL_PRECISIONS, Component, ZooModel
from registry.errors import InvalidInput

SECURITY_NOTE = (
    "--torch loads a pickled module with torch.load(weights_only=False), which runs any code the file carries: "
    "only ingest checkpoints you trust (TorchScript files are loaded without unpickling Python code)."
)
_DTYPES = {"float32": np.float32, "float16": np.float16, "int64": np.int64, "int32": np.int32, "bool": np.bool_}


def parse_input_shapes(specs: list[str]) -> list[dict[str, tuple[tuple[int, ...], str]]]:
    """``name:1x3x224x224[:dtype]`` -> one {name: (shape, dtype)} per size, in the order forward() takes them."""
    from ingest.byo_inputs import parse_input_shapes as parse

    if not specs:
        raise InvalidInput(
            "--torch needs the model's inputs.", hint="Add --input-shape NAME:1x3x224x224 once per input, in order."
        )
    return [{n: (g.shape, g.dtype or "float32") for n, g in size.items()} for size in parse(specs)]


def load_module(path: Path) -> Any:
    """A TorchScript module, or a pickled nn.Module (see the security note), in eval mode."""
    import torch

    if not path.is_file():
        raise InvalidModelFile(f"{path} does not exist.", hint="Give the path of a TorchScript or torch.save file.")
    try:
        module = torch.jit.load(str(path), map_location="cpu")  # type: ignore[no-untyped-call]
    except Exception:
        try:
            module = torch.load(str(path), map_location="cpu", weights_only=False)
        except Exception as exc:
            raise InvalidModelFile(
                f"{path.name} is neither a TorchScript file nor a torch.save'd module: {str(exc)[:200]}",
                hint="Save the whole module (torch.save(model, path)) or script it (torch.jit.script(model).save).",
            ) from exc
    if isinstance(module, dict):
        raise InvalidModelFile(
            f"{path.name} holds a state_dict (weights without an architecture).",
            hint="Save the whole module, or write a recipe whose factory builds the module and loads these weights.",
        )
    if not isinstance(module, torch.nn.Module):
        raise InvalidModelFile(f"{path.name} holds a {type(module).__name__}, not a torch module.")
    return module.eval()


def _synthetic(shapes: dict[str, tuple[tuple[int, ...], str]], n: int, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        sample: dict[str, np.ndarray] = {}
        for name, (shape, dtype) in shapes.items():
            kind = _DTYPES[dtype]
            sample[name] = (
                rng.standard_normal(shape).astype(kind)
                if np.issubdtype(kind, np.floating)
                else rng.integers(0, 100, shape).astype(kind)
            )
        out.append(sample)
    return out


Samples = Callable[[str, int], list[dict[str, np.ndarray]]]


def torch_model(
    path: Path,
    shapes: dict[str, tuple[tuple[int, ...], str]],
    *,
    slug: str,
    name: str,
    task: str,
    calibration: Samples | None = None,
    eval_inputs: Samples | None = None,
    **card: Any,
) -> ZooModel:
    """A one-component ZooModel around the checkpoint; data are the given ones, else synthetic (recorded so)."""
    import torch

    module = load_module(path)
    example = {n: torch.from_numpy(v) for n, v in _synthetic(shapes, 1, 0)[0].items()}
    try:
        with torch.no_grad():
            out = module(*example.values())
    except Exception as exc:
        raise ExportFailed(
            f"{path.name} does not run on the given input shapes: {str(exc).splitlines()[0][:300]}",
            hint="Check --input-shape (names, order, dims and dtype).",
        ) from exc
    count = len(out) if isinstance(out, (tuple, list)) else 1
    outputs = ["output"] if count == 1 else [f"output_{i}" for i in range(count)]
    return ZooModel(
        slug=slug,
        name=name,
        task=task,
        domain=card.get("domain", "computer-vision"),
        license=card.get("license", "unknown"),
        source_url=card.get("source_url") or "",
        description=card.get("description") or f"Brought as a torch checkpoint ({path.name}).",
        weights=card.get("weights", "real"),
        components=[Component("model", module, example, outputs)],
        calibration=calibration or (lambda _c, n: _synthetic(shapes, n, 1)),
        eval_inputs=eval_inputs or (lambda _c, n: _synthetic(shapes, n, 2)),
        supported_precisions=ALL_PRECISIONS,
    )
