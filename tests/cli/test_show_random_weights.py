"""`registry show` never prints an accuracy for a random-weight model, even when its manifest recorded one: such a
figure means nothing, so the build's quality column shows its fidelity to FP32."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import cli_env, model_card, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]


def _run(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def test_show_gives_fidelity_not_accuracy_for_random_weights(tmp_path: Path) -> None:
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    _run(env, "init")
    evaluations = [
        {"dataset": "d", "metric": "top1", "kind": "accuracy", "value": 0.9, "sample_count": 10, "source": "h"},
        {"dataset": "d", "metric": "cosine", "kind": "fidelity", "value": 0.9987, "sample_count": 10, "source": "h"},
    ]
    builds = [{"precision": "w8a8", "runtime": "onnx", "evaluations": evaluations}]
    for slug, weights in (("randomnet", "random"), ("realnet", "real")):
        card = model_card(slug, weights=weights)
        _run(env, "publish", str(write_publish_dir(tmp_path / slug, slug=slug, builds=builds, card=card)))
    random_out = _run(env, "show", "randomnet@1.0.0")
    assert "cosine 0.999" in random_out and "top1" not in random_out
    assert "top1 90.0%" in _run(env, "show", "realnet@1.0.0")
