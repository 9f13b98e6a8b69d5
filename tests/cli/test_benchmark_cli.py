"""`registry benchmark add` on a local catalog (the local user's own report) and what `registry show` says about
anchored estimates and self-reported figures; an absurd value exits non-zero with one line and a hint."""

from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

from registry.embedded import EmbeddedCatalog
from tests.estimator.test_estimate import small_onnx  # noqa: F401  (fixture)
from tests.helpers import cli_env
from tests.service.test_anchoring import SD8G3, _current, _publish


def test_local_report_then_show_names_the_anchor_and_the_reporter(
    catalog: EmbeddedCatalog,
    registry_env: dict[str, str],
    tmp_path: Path,
    small_onnx: Path,  # noqa: F811
) -> None:
    _publish(catalog, tmp_path / "pub", small_onnx)
    estimate = next(b.latency_ms for b in _current(catalog)["float"] if b.device == SD8G3) or 0.0
    env = cli_env(registry_env)
    add = [sys.executable, "-m", "registry", "benchmark", "add", "mobilenet-v2@1.0.0", "--device", "sd8g3",
           "--precision", "float", "--runtime", "onnx", "--source", "stopwatch app"]  # fmt: skip
    absurd = subprocess.run([*add, "--latency-ms", str(1000 * estimate)], env=env, capture_output=True, text=True)
    assert absurd.returncode != 0 and "implausible" in absurd.stderr and "--force" in absurd.stderr
    assert "Traceback" not in absurd.stderr
    ok = subprocess.run([*add, "--latency-ms", str(3 * estimate)], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert f"reported by local:{getpass.getuser()}" in ok.stderr and "58 estimates re-derived" in ok.stderr
    shown = subprocess.run([sys.executable, "-m", "registry", "show", "mobilenet-v2"], env=env, capture_output=True,
                           text=True)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "anchored estimates" in text and "29 of 29" in text and "stopwatch app" in text
    assert "self-reported measurements" in text and f"local:{getpass.getuser()}" in text
