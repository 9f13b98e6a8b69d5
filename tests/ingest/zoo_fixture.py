"""Test-only zoo models: a 2-layer CNN trained in a second on scikit-learn's bundled digits (a real top-1
metric), a two-component variant, and models that go wrong in the ways users meet (an op ONNX lacks,
calibration data of the wrong shape)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ingest.zoo.base import Component, Runner, TaskMetric, ZooModel
from registry.embedded import EmbeddedCatalog

FAST = ("legacy", "dynamo")  # the legacy exporter is ~10x faster on plain CNNs; export_onnx checks it vs torch


class TinyCNN(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(torch.relu(self.conv(x)).flatten(1))
        return out


class Head(torch.nn.Module):
    """A second component for the two-part model: logits -> probabilities."""

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.softmax(logits * 1.5, dim=-1)


class Eig(torch.nn.Module):
    """A model whose op (torch.linalg.eig) has no ONNX operator: export fails with every exporter."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        eigs: torch.Tensor = torch.linalg.eig(x.reshape(8, 8))[0].real
        return eigs.reshape(1, 8)


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32)[:, None], d.target.astype(np.int64)


@cache
def _trained(seed: int = 0) -> TinyCNN:
    x, y = _digits()
    torch.manual_seed(seed)
    net = TinyCNN()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x[:1200]), torch.from_numpy(y[:1200])
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xt), yt).backward()  # type: ignore[no-untyped-call]
        opt.step()
    return net.eval()


def _samples(start: int, n: int) -> list[dict[str, np.ndarray]]:
    x, _ = _digits()
    return [{"x": x[i : i + 1]} for i in range(start, start + n)]


def _top1(runners: Mapping[str, Runner], n: int = 200) -> tuple[float, int]:
    x, y = _digits()
    run = runners["model"]
    hits = sum(int(np.argmax(run({"x": x[i : i + 1]})["logits"]) == y[i]) for i in range(1500, 1500 + n))
    return hits / n, n


def build(size: str = "default") -> ZooModel:
    net = _trained()
    return ZooModel(
        slug="tiny-digits",
        name="Tiny digits CNN",
        task="image-classification",
        domain="computer-vision",
        license="bsd-3-clause",
        source_url="https://scikit-learn.org/stable/datasets/toy_dataset.html#digits-dataset",
        description="A 2-layer CNN trained here on scikit-learn's digits (test fixture).",
        weights="trained-here",
        components=[Component("model", net, {"x": torch.zeros(1, 1, 8, 8)}, ["logits"], exporters=FAST)],
        calibration=lambda _c, n: _samples(0, n),
        eval_inputs=lambda _c, n: _samples(1400, n),
        card={"dataset": "sklearn digits"},
        task_metric=TaskMetric("sklearn-digits[1500:1700]", "top1", True, _top1),
    )


def build_two_part(size: str = "default") -> ZooModel:
    model = build(size)
    model.slug, model.name = "tiny-two-part", "Tiny two-part"
    model.task_metric = None
    model.components.append(Component("head", Head().eval(), {"logits": torch.zeros(1, 10)}, ["probs"], exporters=FAST))
    net = _trained()

    def data(component: str, start: int, n: int) -> list[dict[str, np.ndarray]]:
        samples = _samples(start, n)
        if component == "model":
            return samples
        with torch.no_grad():
            return [{"logits": net(torch.from_numpy(s["x"])).numpy()} for s in samples]

    model.calibration = lambda c, n: data(c, 0, n)
    model.eval_inputs = lambda c, n: data(c, 1400, n)
    return model


def build_unexportable(size: str = "default") -> ZooModel:
    model = build(size)
    model.slug, model.name, model.task_metric = "tiny-eig", "Tiny eig", None
    model.components = [Component("model", Eig().eval(), {"x": torch.randn(1, 64)}, ["eigs"])]
    return model


def build_bad_calibration(size: str = "default") -> ZooModel:
    model = build(size)
    model.slug, model.name = "tiny-badcal", "Tiny bad calibration"
    model.calibration = lambda _c, n: [{"x": np.zeros((1, 3, 8, 8), np.float32)} for _ in range(n)]
    return model


def write_recipe(path: Path, factory: str = "build", slug: str = "tiny-digits", **fields: Any) -> Path:
    import yaml

    body = {
        "slug": slug,
        "factory": f"tests.ingest.zoo_fixture:{factory}",
        "precisions": ["float", "w8a8"],
        "calibration_samples": 16,
        "eval_samples": 8,
        **fields,
    }
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def make_local(sqlite_url: str, tmp_path: Path) -> EmbeddedCatalog:
    """A EmbeddedCatalog on this test's SQLite copy, with its own home (MLflow store, logs) and blob store."""
    from registry.settings import get_settings

    return EmbeddedCatalog(
        get_settings(
            home=tmp_path / "home",
            database_url=sqlite_url,
            store_url=(tmp_path / "blobs").as_uri(),
            cache_dir=tmp_path / "cache",
        )
    )


def pulled_sha256(local: Any, model: str, version: str, precision: str, dest: Path) -> dict[str, str]:
    """Pull a build the way `registry pull` does (resolve, verified copy) and hash what arrived."""
    import hashlib

    from registry.service.resolve import resolve

    with local.session() as s:
        r = resolve(s, model, "sd8g3", precision, version=version)
    out = {}
    for f in r.build.files:
        target = dest / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        local.store.copy_to(f.sha256, target, verify=True)
        out[f.path] = hashlib.sha256(target.read_bytes()).hexdigest()
    return out
