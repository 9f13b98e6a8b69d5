"""`registry ingest --backend qai-hub` end to end: the CLI in a subprocess, the real qai_hub client inside it, the
loopback stand-in playing AI Hub. Device builds and measured-device benchmarks reach the catalog, `registry pull`
picks the chipset build, an interrupted ingest re-attaches to its jobs, and no token fails at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.qaihub_standin import StandIn, StandInConfig, wait_until
from tests.helpers import cli_env
from tests.qaihub.conftest import HELLO_ONNX
from tests.qaihub.test_backend import S24, S25, published

SD8G3 = "qualcomm-snapdragon-8gen3"
SD8E = "qualcomm-snapdragon-8-elite-for-galaxy"
REG = [sys.executable, "-m", "registry"]
INGEST = [
    *REG,
    "ingest",
    "--onnx",
    str(HELLO_ONNX),
    "--name",
    "hello-hub",
    "--task",
    "classification",
    "--backend",
    "qai-hub",
    "--devices",
    f"sd8g3,{S25}",
    "--precisions",
    "float,w8a8",
    "--executor",
    "serial",
    "--profile-runs",
    "2",
]
# Figures given by this test, not measurements: the published subset has no w8a8 context-binary rows.
GIVEN_W8A8_CONTEXT = {
    "inference_time_ms": "0.25",
    "peak_memory_min_mb": "1",
    "peak_memory_max_mb": "2",
    "layers_npu": "3",
    "qairt_version": "2.42.0",
}


@pytest.fixture
def standin_config() -> StandInConfig:
    config = StandInConfig(perf_model="mobilenet_v2", perf_models={"qnn_context_binary": "centernet_2d"})
    for device in (S24, S25):
        config.profiles[(device, "qnn_context_binary", "w8a8")] = GIVEN_W8A8_CONTEXT
    config.slow.add(S24)  # the first run's jobs on S24 stay running: the test kills that run mid-way
    return config


def env_for(tmp_path: Path, standin: StandIn | None) -> dict[str, str]:
    extra = {
        "REGISTRY_HOME": str(tmp_path / "home"),
        "REGISTRY_CACHE_DIR": str(tmp_path / "cache"),
        "QAIHUB_CLIENT_INI": str(tmp_path / "no-client.ini"),  # never a developer's real token
    }
    if standin is not None:
        extra |= {
            "REGISTRY_QAIHUB_TOKEN": "standin-token",
            "REGISTRY_QAIHUB_API_URL": standin.url,
            "REGISTRY_QAIHUB_POLL_SECONDS": "0.05",
        }
    return cli_env(extra)


def cli(env: dict[str, str], *args: str) -> Any:
    out = subprocess.run([*REG, *args, "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_ingest_with_qai_hub_publishes_device_builds_and_reattaches_after_a_kill(
    standin: StandIn, tmp_path: Path
) -> None:
    env = env_for(tmp_path, standin)
    subprocess.run([*REG, "init"], env=env, check=True, capture_output=True)
    store = tmp_path / "home" / "ingest" / "qaihub-jobs.json"

    def compiles_recorded() -> int:
        try:
            return sum(1 for v in json.loads(store.read_text()).values() if v["kind"] == "compile")
        except (OSError, ValueError):
            return 0

    # 1. Killed while AI Hub compiles: float's 4 compile jobs (onnx, tflite, 2 chipset binaries) are recorded.
    first = subprocess.Popen([*INGEST, "--json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_until(lambda: compiles_recorded() == 4 or first.poll() is not None, timeout=60)
        assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
    finally:
        first.kill()
        first.wait()
        if first.stderr:
            first.stderr.close()
    before = [kind for kind, _ in standin.submissions].count("compile")
    assert before == 4
    standin.release_slow()

    # 2. The same command again re-attaches to those jobs and finishes.
    out = subprocess.run([*INGEST, "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert [kind for kind, _ in standin.submissions].count("compile") == 8  # + w8a8's 4; none of float's again
    float_hub = {(d["runtime"], d["target"]): d for d in summary["builds"]["float"]["device_builds"]}
    assert all(d["status"] == "built" and d["reattached_jobs"] for d in float_hub.values()), float_hub
    assert set(float_hub[("tflite", "any")]["devices"]) == {S24, S25}
    # The published subset has no w8a8 ONNX Runtime figure: AI Hub's job fails, recorded per build, others go on.
    w8a8_hub = {(d["runtime"], d["target"]): d for d in summary["builds"]["w8a8"]["device_builds"]}
    assert (
        w8a8_hub[("onnx", "any")]["status"] == "failed" and "no published figure" in w8a8_hub[("onnx", "any")]["error"]
    )
    assert {k for k, d in w8a8_hub.items() if d["status"] == "built"} == {
        ("tflite", "any"),
        ("qnn_context_binary", SD8G3),
        ("qnn_context_binary", SD8E),
    }
    assert summary["status"] == "partial" and summary["published"]["created"]

    # 3. The catalog, through `registry show --json`.
    shown = cli(env, "show", "hello-hub")
    builds = {(b["precision"], b["runtime"], b["target"]): b for b in shown["builds"]}
    assert set(builds) == {
        (p, r, t)
        for p in ("float", "w8a8")
        for r, t in (("onnx", "any"), ("tflite", "any"), ("qnn_context_binary", SD8G3), ("qnn_context_binary", SD8E))
    }
    tflite = builds[("float", "tflite", "any")]
    device_figures = {b["device_slug"]: b for b in tflite["benchmarks"] if b["provenance"] == "measured-device"}
    assert set(device_figures) == {"sd8g3", "sd8e-galaxy"}
    s24 = device_figures["sd8g3"]
    assert s24["latency_ms"] == pytest.approx(float(published(S24, "tflite")["inference_time_ms"]))
    assert s24["peak_memory_mb"] == pytest.approx(float(published(S24, "tflite")["peak_memory_max_mb"]))
    assert s24["compute_units"]["NPU"] == int(published(S24, "tflite")["layers_npu"])
    assert s24["details"]["job_url"] == f"https://app.aihub.qualcomm.com/jobs/{s24['details']['job_id']}/"
    assert s24["details"]["compile_job_id"] == float_hub[("tflite", "any")]["compile_jobs"]["model"]["job_id"]
    assert [f["path"].rsplit(".", 1)[-1] for f in tflite["files"]] == ["tflite"]
    fidelity = [e for e in tflite["evaluations"] if e["provenance"] == "measured-device"]
    assert {e["metric"] for e in fidelity} == {"psnr_db"} and len(fidelity) == 2  # per device, vs local FP32
    # The portable onnx build stays one build: AI Hub's figures and device fidelity are attached to it.
    portable = builds[("float", "onnx", "any")]
    # Host figures, AI Hub's device figures and the estimator's figures, each labelled; never mixed up.
    assert {b["provenance"] for b in portable["benchmarks"]} == {"measured-host", "measured-device", "estimated"}
    assert any(e["provenance"] == "measured-device" and e["metric"] == "psnr_db" for e in portable["evaluations"])
    context = builds[("w8a8", "qnn_context_binary", SD8G3)]
    (figure,) = context["benchmarks"]
    assert figure["device_slug"] == "sd8g3" and figure["latency_ms"] == 0.25  # the test's given figure

    # 4. `registry pull` picks the chipset build for the device.
    pulled = cli(env, "pull", "hello-hub", "--device", "sd8g3", "--precision", "w8a8")
    assert (pulled["runtime"], pulled["target"]) == ("qnn_context_binary", SD8G3)
    assert Path(pulled["files"][0]["path"]).read_bytes().startswith(b"AIHUB-STANDIN qnn_context_binary")

    # 5. The same command once more: every job re-attached, same bytes, nothing new published or compiled.
    again = cli(env, *INGEST[len(REG) :])
    assert again["published"]["created"] is False and again["stages_run"] == 0
    assert [kind for kind, _ in standin.submissions].count("compile") == 8

    # 6. The failed device build is on the run's row.
    from registry.embedded import EmbeddedCatalog
    from registry.models import IngestRun
    from registry.settings import get_settings

    catalog = EmbeddedCatalog(get_settings(home=tmp_path / "home"))
    with catalog.session() as s:
        row = s.get_one(IngestRun, summary["run"])
        assert row.backend == "qai-hub" and "w8a8/onnx/any" in json.loads(row.error or "{}")
    catalog.engine.dispose()


def test_qai_hub_without_a_token_fails_at_once(tmp_path: Path) -> None:
    env = env_for(tmp_path, None)
    started = time.monotonic()
    out = subprocess.run(INGEST, env=env, capture_output=True, text=True)
    assert time.monotonic() - started < 3
    assert out.returncode == 2
    first, *rest = out.stderr.strip().splitlines()
    assert first.startswith("error: No Qualcomm AI Hub token") and "Traceback" not in out.stderr
    assert any("qai-hub configure" in line for line in rest)
    assert not (tmp_path / "home" / "ingest" / "qaihub-jobs.json").exists()


def test_qai_hub_needs_devices_and_local_builds_only_host_runtimes(tmp_path: Path) -> None:
    env = env_for(tmp_path, None)
    no_devices = [a for a in INGEST if a not in ("--devices", f"sd8g3,{S25}")]
    out = subprocess.run(no_devices, env=env, capture_output=True, text=True)
    assert out.returncode == 2 and "--backend qai-hub needs --devices" in out.stderr
    local = [*INGEST[: INGEST.index("--backend")], "--runtimes", "onnx,qnn_dlc"]
    out = subprocess.run(local, env=env, capture_output=True, text=True)
    assert out.returncode == 2 and "builds onnx and tflite only, not qnn_dlc" in out.stderr


def test_a_device_ai_hub_does_not_offer_fails_before_any_work(standin: StandIn, tmp_path: Path) -> None:
    env = env_for(tmp_path, standin)
    subprocess.run([*REG, "init"], env=env, check=True, capture_output=True)
    standin.devices = [d for d in standin.devices if f"chipset:{SD8E}" not in d.attributes]  # AI Hub dropped it
    out = subprocess.run(INGEST, env=env, capture_output=True, text=True)
    assert out.returncode == 2 and f"AI Hub offers no device with chipset {SD8E}" in out.stderr
    assert not standin.submissions and not (tmp_path / "home" / "ingest" / "cache").exists()
