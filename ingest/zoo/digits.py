"""digits-cnn: a small CNN trained here, in a few seconds of CPU, on scikit-learn's bundled 8x8 digits.

The 1,797 images of ``sklearn.datasets.load_digits`` are split once (stratified, seed 0) into 1,437 training
and 360 held-out images. Training is deterministic (fixed seed, one thread), so the same scikit-learn data and
torch version give the same weights, and the export's content hash stays stable across runs. The trained
state dict is cached in-process and, when ``REGISTRY_HOME`` (or the default home) is writable, on disk under
``<home>/ingest/zoo/``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import time
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, Runner, TaskMetric, ZooModel, zoo_cache_dir
from registry import atomic

SEED: Final = 0
EPOCHS: Final = 20
TEST_FRACTION: Final = 0.2
INPUT: Final = "image"
OUTPUT: Final = "logits"
LR: Final = 3e-3
BATCH: Final = 128
WIDTHS: Final = (16, 32, 64)
TRAIN_CONFIG: Final[dict[str, Any]] = {
    "seed": SEED,
    "epochs": EPOCHS,
    "lr": LR,
    "batch": BATCH,
    "widths": WIDTHS,
    "augmentation": "random shift of up to 1 px",
    "v": 1,
}


@functools.cache
def dataset() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test); x is float32 [N, 1, 8, 8] scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None]
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=TEST_FRACTION, random_state=SEED, stratify=y)
    return x_tr, y_tr, x_te, y_te


def make_net() -> Any:
    from torch import nn

    a, b, c = WIDTHS
    return nn.Sequential(
        nn.Conv2d(1, a, 3, padding=1),
        nn.BatchNorm2d(a),
        nn.ReLU(),
        nn.Conv2d(a, b, 3, padding=1),
        nn.BatchNorm2d(b),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8x8 -> 4x4
        nn.Conv2d(b, c, 3, padding=1),
        nn.BatchNorm2d(c),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(c, 10),
    )


def _train() -> dict[str, Any]:
    import torch
    from torch import nn

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # bit-reproducible weights
    try:
        torch.manual_seed(SEED)
        net = make_net()
        x_tr, y_tr, _, _ = dataset()
        x, y = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
        gen = torch.Generator().manual_seed(SEED)
        loss_fn = nn.CrossEntropyLoss()
        batch = BATCH
        net.train()
        for _ in range(EPOCHS):
            order = torch.randperm(len(x), generator=gen)
            for i in range(0, len(x), batch):
                idx = order[i : i + batch]
                xb = x[idx]
                # light augmentation: shift by up to one pixel
                dy, dx = (int(v) for v in torch.randint(-1, 2, (2,), generator=gen))
                xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
                opt.zero_grad()
                loss_fn(net(xb), y[idx]).backward()
                opt.step()
            sched.step()
        net.eval()
        state: dict[str, Any] = net.state_dict()
        return state
    finally:
        torch.set_num_threads(threads)


def _cache_path() -> Path | None:
    from importlib.metadata import version

    import torch

    root = zoo_cache_dir()
    # scikit-learn's version from its metadata: importing it (1.8 s) is needed only to train, not to find the cache
    key = hashlib.sha256(repr((TRAIN_CONFIG, torch.__version__, version("scikit-learn"))).encode()).hexdigest()
    return root / f"digits-cnn-{key[:16]}.pt" if root is not None else None


@functools.cache
def trained_state() -> tuple[dict[str, Any], float, str]:
    """(state dict, training seconds or 0.0 when loaded from the disk cache, where it came from)."""
    import torch

    path = _cache_path()
    if path is not None and path.is_file():
        try:
            return torch.load(path, weights_only=True), 0.0, f"cache {path}"
        except Exception:
            pass
    started = time.perf_counter()
    state = _train()
    seconds = time.perf_counter() - started
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            buf = io.BytesIO()
            torch.save(state, buf)
            atomic.write_bytes(path, buf.getvalue())
        except OSError:
            pass
    return state, seconds, "trained in this process"


def top1(runner: Runner, x: np.ndarray, y: np.ndarray) -> float:
    correct = 0
    for i in range(len(x)):
        logits = runner({INPUT: x[i : i + 1]})[OUTPUT]
        correct += int(np.argmax(logits[0]) == y[i])
    return correct / len(x)


def _evaluate(runners: dict[str, Runner] | Any) -> tuple[float, int]:
    _, _, x_te, y_te = dataset()
    return 100.0 * top1(runners["model"], x_te, y_te), len(x_te)


def build(size: str = "default") -> ZooModel:
    """The trained digits CNN (``size`` is accepted for symmetry; the net is already tiny)."""
    import torch

    net = make_net()
    state, seconds, origin = trained_state()
    net.load_state_dict(state)
    net.eval()
    x_tr, _, x_te, _ = dataset()

    def calibration(component: str, n: int) -> list[Inputs]:
        return [{INPUT: x_tr[i : i + 1]} for i in range(min(n, len(x_tr)))]

    def eval_inputs(component: str, n: int) -> list[Inputs]:
        return [{INPUT: x_te[i : i + 1]} for i in range(min(n, len(x_te)))]

    return ZooModel(
        slug="digits-cnn",
        name="Digits CNN",
        task="image-classification",
        domain="computer-vision",
        license="BSD-3-Clause",
        source_url="https://scikit-learn.org/stable/modules/generated/sklearn.datasets.load_digits.html",
        description="A three-layer CNN classifying 8x8 handwritten digits, trained here on scikit-learn's "
        "bundled digits dataset (UCI ML hand-written digits).",
        weights="trained-here",
        components=[
            Component(
                name="model",
                module=net,
                example_inputs={INPUT: torch.from_numpy(x_te[:1].copy())},
                output_names=[OUTPUT],
                exporters=("legacy", "dynamo"),
            )
        ],
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": "real: trained here on scikit-learn's bundled load_digits (deterministic, seed 0)",
            "training": {
                "dataset": "sklearn.datasets.load_digits",
                "train_samples": len(x_tr),
                "held_out_samples": len(x_te),
                "split": "stratified, random_state=0, test_size=0.2",
                **{k: v for k, v in TRAIN_CONFIG.items() if k != "v"},
                "seconds": round(seconds, 2),
                "origin": origin,
            },
            "input": "image: float32 [1, 1, 8, 8], pixel values / 16 (range 0..1)",
            "output": "logits: float32 [1, 10]",
        },
        task_metric=TaskMetric(
            dataset="sklearn load_digits held-out split (360 images)",
            metric="top1_accuracy_pct",
            higher_is_better=True,
            evaluate=_evaluate,
        ),
    )
