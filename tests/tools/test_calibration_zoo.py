"""The calibration zoo lives in ``tools/calibration`` (outside the wheel) and still rebuilds the graphs the
estimator ships: every shipped graph has its builder there, and a rebuilt graph matches its shipped summary."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from registry.estimator import fit

ROOT = Path(__file__).resolve().parents[2]


def _shipped() -> dict[tuple[str, str], dict[str, object]]:
    graphs = json.loads(fit.GRAPHS_FILE.read_text())["graphs"]
    return {(g["model_id"], g["component"]): g for g in graphs}


def test_every_shipped_graph_has_a_builder_in_tools() -> None:
    from tools.calibration import build_graphs

    specs = build_graphs.specs()
    assert set(specs) == set(_shipped())
    assert len(specs) >= 100
    assert {b.__module__.split(".")[0] for b, _ in specs.values() if hasattr(b, "__module__")} == {"tools"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "key",
    [
        ("yamnet", "YamNet"),  # zoo/mobile.py over build_graphs' shared layers
        ("mediapipe_face", "FaceLandmarkDetector"),  # zoo/faces.py over zoo/mobile.py
        ("zipformer", "ZipformerDecoder"),  # zoo/sequence.py
        ("facemap_3dmm", "Facial-Landmark-Detection"),
    ],
)
def test_rebuilt_graph_matches_the_shipped_summary(key: tuple[str, str]) -> None:
    from tools.calibration import build_graphs

    warnings.filterwarnings("ignore")
    builder, fidelity = build_graphs.specs()[key]
    shipped = _shipped()[key]
    assert fidelity == shipped["fidelity"]
    summary = build_graphs.build_one(builder)
    assert summary == {k: v for k, v in shipped.items() if k not in ("model_id", "component", "fidelity")}


def test_the_wheel_config_leaves_tools_out() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert "tools" not in packages and not any(p.startswith("tools") for p in packages)
    assert not (ROOT / "registry" / "estimator" / "calib").exists()
    assert not (ROOT / "registry" / "estimator" / "build_graphs.py").exists()
