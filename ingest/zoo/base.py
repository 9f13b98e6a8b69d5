"""What a zoo model is: a card, one or more torch components, data for calibration and evaluation.

A factory is a plain function ``build(size: str = "default") -> ZooModel``; ``size="tiny"`` gives a small
config for tests where the model is large. Weights come only from installed packages, are trained here on
bundled data, or are random (then ``task_metric`` is None and builds are judged by fidelity to FP32)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

Inputs = dict[str, np.ndarray]
Outputs = dict[str, np.ndarray]
Runner = Callable[[Inputs], Outputs]

ALL_PRECISIONS = ("float", "fp16", "w8a8", "w8a16", "w4a16", "mixed")
CONV_PRECISIONS = ("float", "fp16", "w8a8", "w8a16", "mixed")


class UnknownSize(ValueError):
    """A ``size`` the factory does not build (``ingest.recipe.build_model`` reports it against the recipe's field)."""


def check_size(size: str, sizes: Iterable[str]) -> None:
    """Refuse a size the factory does not build, naming the ones it does."""
    known = sorted(sizes)
    if size not in known:
        raise UnknownSize(f"{size!r} is not a size this model has; it has {', '.join(known)}")


@dataclass
class Component:
    """One exportable part of a model ("model" for single-part models; "encoder", "decoder", "text_encoder",
    "unet", "vae_decoder", ... for multi-part ones)."""

    name: str
    module: torch.nn.Module  # in eval mode
    example_inputs: dict[str, torch.Tensor]  # ordered as forward() takes them
    output_names: list[str]
    dynamic_shapes: dict[str, Any] | None = None
    exporters: tuple[str, ...] | None = None  # export order override, e.g. ("legacy", "dynamo"); None: dynamo first


@dataclass
class TaskMetric:
    """A real task metric, run through ANY build by per-component runners (FP32 ONNX, INT8 ONNX, ...)."""

    dataset: str
    metric: str
    higher_is_better: bool
    evaluate: Callable[[Mapping[str, Runner]], tuple[float, int]]  # -> (value, sample_count)


@dataclass
class ZooModel:
    slug: str
    name: str
    task: str
    domain: str  # computer-vision | generative-ai | audio | nlp
    license: str
    source_url: str
    description: str
    weights: str  # real | trained-here | random
    components: list[Component]
    calibration: Callable[[str, int], list[Inputs]]  # (component name, n) -> samples
    eval_inputs: Callable[[str, int], list[Inputs]]  # held-out inputs for fidelity, disjoint from calibration
    card: dict[str, Any] = field(default_factory=dict)
    task_metric: TaskMetric | None = None
    supported_precisions: tuple[str, ...] = CONV_PRECISIONS
    # Files every build ships beside the model, as an app needs them to use it (a tokenizer): name -> path.
    assets: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.weights == "random" and self.task_metric is not None:
            raise ValueError(
                f"{self.slug}: a random-weight model has no task metric (it would show an accuracy that means "
                "nothing); judge it by fidelity to FP32, or give it real or trained-here weights"
            )

    def component(self, name: str) -> Component:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)


def zoo_cache_dir() -> Path | None:
    """Where zoo factories keep what they compute once per machine (the digits CNN's trained weights, Whisper's
    decoder inputs): ``REGISTRY_HOME/ingest/zoo``; None when the settings cannot be read (then nothing is kept)."""
    try:
        from registry.settings import get_settings

        return get_settings().home / "ingest" / "zoo"
    except Exception:
        return None
