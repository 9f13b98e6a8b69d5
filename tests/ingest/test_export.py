"""torch -> ONNX export: outputs match torch, bytes are stable, failures name every exporter's error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from torch import nn

from ingest.errors import ExportFailed
from ingest.export import export_onnx
from ingest.fidelity import run_model
from ingest.zoo.base import Component


class SmallNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, image: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.relu(self.bn(self.conv(image)))
        features = x.mean(dim=(2, 3))
        return self.fc(features) * scale, features


def small_component() -> Component:
    torch.manual_seed(0)
    module = SmallNet().eval()
    return Component(
        name="model",
        module=module,
        example_inputs={"image": torch.randn(2, 3, 16, 16), "scale": torch.tensor([2.0])},
        output_names=["logits", "features"],
    )


class Unexportable(nn.Module):
    """An op neither exporter has an ONNX translation for."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values: torch.Tensor = torch.linalg.eigvalsh(x @ x.T)
        return values


@pytest.mark.parametrize("exporter", ["dynamo", "legacy"])
def test_small_module_exports_and_matches_torch(tmp_path: Path, exporter: str) -> None:
    component = small_component()
    result = export_onnx(component, tmp_path, opset=18, exporters=(exporter,))
    assert result.exporter == exporter
    assert result.path == tmp_path / "model.onnx" and result.files == [result.path]
    model = onnx.load(str(result.path))
    assert [i.name for i in model.graph.input] == ["image", "scale"]
    assert [o.name for o in model.graph.output] == ["logits", "features"]
    assert any(op.domain in ("", "ai.onnx") and op.version == 18 for op in model.opset_import)
    inputs = [
        {
            "image": np.random.default_rng(i).standard_normal((2, 3, 16, 16)).astype(np.float32),
            "scale": np.array([0.5], dtype=np.float32),
        }
        for i in range(3)
    ]
    got = run_model(result.path, inputs)
    with torch.no_grad():
        for feed, out in zip(inputs, got, strict=True):
            logits, features = component.module(*(torch.from_numpy(v) for v in feed.values()))
            np.testing.assert_allclose(out["logits"], logits.numpy(), rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(out["features"], features.numpy(), rtol=1e-4, atol=1e-5)
    assert result.max_abs_err is not None and result.max_abs_err < 1e-4


def test_default_tries_dynamo_first(tmp_path: Path) -> None:
    result = export_onnx(small_component(), tmp_path)
    assert result.exporter == "dynamo" and result.errors == {}
    assert result.seconds > 0


def test_same_module_exports_same_bytes(tmp_path: Path) -> None:
    component = small_component()
    for exporter in ("dynamo", "legacy"):
        a = export_onnx(component, tmp_path / f"{exporter}-a", exporters=(exporter,))
        b = export_onnx(component, tmp_path / f"{exporter}-b", exporters=(exporter,))
        assert a.path.read_bytes() == b.path.read_bytes(), exporter
        feed = [{k: v.numpy() for k, v in component.example_inputs.items()}]
        np.testing.assert_array_equal(run_model(a.path, feed)[0]["logits"], run_model(b.path, feed)[0]["logits"])


def test_module_that_cannot_export_names_both_exporters(tmp_path: Path) -> None:
    component = Component(
        name="model", module=Unexportable().eval(), example_inputs={"x": torch.rand(3, 3)}, output_names=["y"]
    )
    with pytest.raises(ExportFailed) as info:
        export_onnx(component, tmp_path)
    err = info.value
    assert "dynamo: ConversionError <- DispatchError: No ONNX function found" in str(err)
    assert "legacy: UnsupportedOperatorError: Exporting the operator 'aten::linalg_eigvalsh'" in str(err)
    assert set(err.extra["errors"]) == {"dynamo", "legacy"}
    assert err.hint and "example inputs" in err.hint
    assert not (tmp_path / "model.onnx").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no scratch left behind


def test_wrong_output_names_fail_with_a_clear_message(tmp_path: Path) -> None:
    component = small_component()
    component.output_names = ["logits"]
    with pytest.raises(ExportFailed, match="output_names must list every tensor"):
        export_onnx(component, tmp_path)
