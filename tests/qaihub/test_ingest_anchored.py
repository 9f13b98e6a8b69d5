"""`registry ingest --backend qai-hub` profiling one device (the stand-in plays AI Hub): the estimates of every
other catalog device are anchored on that profile, each naming its job."""

from __future__ import annotations

import subprocess

import pytest

from tests.fixtures.qaihub_standin import StandIn, StandInConfig
from tests.qaihub.conftest import HELLO_ONNX
from tests.qaihub.test_ingest_qaihub import REG, SD8G3, cli, env_for

N_DEVICES = 29


@pytest.fixture
def standin_config() -> StandInConfig:
    return StandInConfig(perf_model="mobilenet_v2")


def test_one_profiled_device_anchors_the_estimates_of_all_others(standin: StandIn, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(tmp_path, standin)
    subprocess.run([*REG, "init"], env=env, check=True, capture_output=True)
    ingest = [*REG, "ingest", "--onnx", str(HELLO_ONNX), "--name", "hello-anchor", "--task", "classification",
              "--backend", "qai-hub", "--devices", "sd8g3", "--precisions", "float", "--executor", "serial",
              "--profile-runs", "2"]  # fmt: skip
    out = subprocess.run(ingest, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    shown = cli(env, "show", "hello-anchor")
    builds = {(b["precision"], b["runtime"], b["target"]): b for b in shown["builds"]}
    portable = builds[("float", "onnx", "any")]
    (profile,) = [b for b in portable["benchmarks"] if b["provenance"] == "measured-device"]
    assert profile["device"] == SD8G3 and profile["details"]["job_id"] in profile["source"]
    estimates = [b for b in portable["benchmarks"] if b["provenance"] == "estimated"]
    assert len({b["device"] for b in estimates}) == N_DEVICES  # every catalog device, not only the profiled one
    for b in estimates:
        assert b["anchor_level"] == "same" and profile["details"]["job_id"] in b["anchored_on"]
        assert b["details"]["anchored"]["anchors"][0]["benchmark_id"] == profile["id"]
    s24 = next(b for b in estimates if b["device"] == SD8G3)
    assert s24["latency_ms"] == pytest.approx(profile["latency_ms"], rel=1e-3)
