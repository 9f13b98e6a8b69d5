"""The qai-hub backend end to end against the stand-in: builds, measured-device benchmarks, failures, re-attach."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.backends import DeviceRequest
from ingest.backends.qaihub import DeviceBuild, QaiHubBackend
from ingest.backends.qaihub_jobs import JobStore, QaiHubAuthFailed, QaiHubNotConfigured, QaiHubUnreachable, Retry
from ingest.fidelity import run_model
from registry.service.manifest import BenchmarkEntry, EvaluationEntry, ManifestBuild
from registry.settings import get_settings
from tests.fixtures.qaihub_standin import PERF_CSV, StandIn
from tests.qaihub.conftest import HELLO_ONNX

S24 = "Samsung Galaxy S24"
S25 = "Samsung Galaxy S25"


def published(device: str, runtime: str, model: str = "mobilenet_v2", precision: str = "float") -> dict[str, str]:
    with PERF_CSV.open(newline="") as f:
        return next(
            r
            for r in csv.DictReader(f)
            if (r["model_id"], r["device_name"], r["runtime"], r["precision"]) == (model, device, runtime, precision)
        )


def backend(standin: StandIn, tmp_path: Path, token: str = "standin-token", **kwargs: Any) -> QaiHubBackend:
    settings = get_settings(qaihub_token=token, qaihub_api_url=standin.url, home=tmp_path / "home")
    kwargs.setdefault("retry", Retry(attempts=3, first_wait_s=0.01))
    return QaiHubBackend(settings, work_dir=tmp_path / "work", poll_seconds=0.02, job_timeout_s=20, **kwargs)


def samples(count: int = 3) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [{"x": rng.standard_normal((1, 16)).astype(np.float32)} for _ in range(count)]


def by_runtime(builds: list[DeviceBuild]) -> dict[tuple[str, str], DeviceBuild]:
    return {(b.runtime, b.target): b for b in builds}


def test_compile_profile_and_inference_give_measured_device_builds(standin: StandIn, tmp_path: Path) -> None:
    inputs = samples()
    reference = run_model(HELLO_ONNX, inputs)
    builds = backend(standin, tmp_path).run(
        {None: HELLO_ONNX},
        "float",
        ["tflite", "qnn_context_binary"],
        ["sd8g3"],  # our catalog's slug, resolved to an AI Hub device of that chipset
        eval_inputs=inputs,
        fp32_outputs=reference,
    )
    found = by_runtime(builds)
    assert set(found) == {("tflite", "any"), ("qnn_context_binary", "qualcomm-snapdragon-8gen3")}
    tflite = found[("tflite", "any")]
    assert tflite.error is None
    assert tflite.files[0].name == "model.tflite" and tflite.files[0].stat().st_size > 0
    bench = tflite.benchmarks[0]
    row = published(S24, "tflite")
    assert bench["device"] == S24 and bench["provenance"] == "measured-device"
    assert bench["latency_ms"] == pytest.approx(float(row["inference_time_ms"]))  # AI Hub's µs, back in ms
    assert bench["details"]["peak_memory_range_mb"] == [
        float(row["peak_memory_min_mb"]),
        float(row["peak_memory_max_mb"]),
    ]
    assert bench["compute_units"]["NPU"] == int(row["layers_npu"]) and bench["compute_units"]["primary"] == "NPU"
    assert bench["details"]["tool_versions"] == {"QAIRT": row["qairt_version"], "TFLite": row["tflite_version"]}
    assert bench["details"]["job_url"] == f"https://app.aihub.qualcomm.com/jobs/{bench['details']['job_id']}/"
    evaluation = tflite.evaluations[0]
    assert evaluation["metric"] == "psnr_db" and evaluation["value"] >= 100  # the stand-in runs the FP32 graph
    assert evaluation["provenance"] == "measured-device" and evaluation["sample_count"] == 3
    # The dicts are what the publish manifest accepts.
    entry = ManifestBuild.model_validate(tflite.manifest_entry(tmp_path / "work"))
    assert isinstance(entry.benchmarks[0], BenchmarkEntry) and isinstance(entry.evaluations[0], EvaluationEntry)
    context = found[("qnn_context_binary", "qualcomm-snapdragon-8gen3")]
    assert context.error is None and context.files[0].name == "model.bin"
    row = published(S24, "qnn_context_binary", "centernet_2d")
    assert context.benchmarks[0]["latency_ms"] == pytest.approx(float(row["inference_time_ms"]))
    ManifestBuild.model_validate(context.manifest_entry(tmp_path / "work"))


def test_a_failed_job_is_recorded_and_the_other_device_still_succeeds(standin: StandIn, tmp_path: Path) -> None:
    standin.config.fail[S25] = "Device crashed while loading the model."
    builds = backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["qnn_dlc"], [S24, S25])
    (build,) = builds
    assert build.error is None
    assert [b["device"] for b in build.benchmarks] == [S24]
    assert "Device crashed while loading the model." in build.details["device_errors"][S25]


def test_a_chipset_build_whose_compile_fails_is_recorded_without_stopping_the_others(
    standin: StandIn, tmp_path: Path
) -> None:
    standin.config.fail[S25] = "QNN compile failed: op not supported."
    builds = by_runtime(backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["qnn_context_binary"], [S24, S25]))
    assert "op not supported" in (builds[("qnn_context_binary", "qualcomm-snapdragon-8-elite-for-galaxy")].error or "")
    ok = builds[("qnn_context_binary", "qualcomm-snapdragon-8gen3")]
    assert ok.error is None and ok.benchmarks[0]["device"] == S24


def test_rate_limited_submissions_are_retried_then_succeed(standin: StandIn, tmp_path: Path) -> None:
    standin.config.rate_limit = 3  # the client's own retry absorbs 2 (MAX_RETRIES=1), ours the rest
    (build,) = backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    assert build.error is None and build.benchmarks
    assert build.details["rate_limited_retries"] >= 1
    assert sum(1 for verb, path, status in standin.requests if status == 429) == 3


def test_rate_limits_that_never_end_are_recorded_on_the_build(standin: StandIn, tmp_path: Path) -> None:
    standin.config.rate_limit = 1000
    (build,) = backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    assert build.error is not None and "rate-limited" in build.error and not build.files


def test_an_interrupted_run_reattaches_to_its_recorded_jobs(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_path = tmp_path / "work" / "qaihub-jobs.json"
    real_record = JobStore.record

    def record_then_die(self: JobStore, key: str, job_id: str, kind: str, **extra: Any) -> None:
        real_record(self, key, job_id, kind, **extra)
        if kind == "compile":
            raise KeyboardInterrupt  # the ingest is killed right after AI Hub accepted the compile job

    monkeypatch.setattr(JobStore, "record", record_then_die)
    with pytest.raises(KeyboardInterrupt):
        backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    monkeypatch.setattr(JobStore, "record", real_record)
    recorded = json.loads(store_path.read_text())
    compile_ids = [v["job_id"] for v in recorded.values() if v["kind"] == "compile"]
    assert len(compile_ids) == 1

    (build,) = backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    assert build.error is None and build.benchmarks
    assert [kind for kind, _ in standin.submissions].count("compile") == 1  # re-attached, not resubmitted
    assert build.details["reattached_jobs"] == compile_ids
    assert build.details["compile_jobs"]["model"]["job_id"] == compile_ids[0]


def test_a_slow_job_times_out_with_a_clear_error_and_a_rerun_picks_it_up(standin: StandIn, tmp_path: Path) -> None:
    standin.config.slow.add(S24)
    slow = backend(standin, tmp_path)
    slow.job_timeout_s = 0.3
    (build,) = slow.run({None: HELLO_ONNX}, "float", ["onnx"], [S24])
    assert build.error is not None and "still running" in build.error and "re-attach" in build.error
    standin.release_slow()
    (again,) = backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["onnx"], [S24])
    assert again.error is None and again.files[0].read_bytes() == HELLO_ONNX.read_bytes()
    assert [kind for kind, _ in standin.submissions].count("compile") == 1


def test_a_bad_token_fails_at_once_with_a_clear_error(standin: StandIn, tmp_path: Path) -> None:
    with pytest.raises(QaiHubAuthFailed) as info:
        backend(standin, tmp_path, token="wrong").run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    assert "refused the token" in str(info.value) and "qai-hub configure" in str(info.value)
    assert not standin.submissions


def test_no_token_fails_in_under_two_seconds(tmp_path: Path) -> None:
    settings = get_settings(home=tmp_path / "home")
    started = time.monotonic()
    with pytest.raises(QaiHubNotConfigured) as info:
        QaiHubBackend(settings, work_dir=tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    assert time.monotonic() - started < 2
    assert "REGISTRY_QAIHUB_TOKEN" in str(info.value) and "qai-hub configure" in str(info.value)


def test_the_token_comes_from_qai_hubs_own_config_file(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = tmp_path / "client.ini"
    ini.write_text(f"[api]\napi_token = standin-token\napi_url = {standin.url}\nweb_url = {standin.url}\n")
    monkeypatch.setenv("QAIHUB_CLIENT_INI", str(ini))
    hub = QaiHubBackend(get_settings(home=tmp_path / "home"), work_dir=tmp_path, poll_seconds=0.02)
    assert [d.name for d in hub.hub_devices([S24])] == [S24]
    assert hub.config is not None and hub.config.origin == str(ini)


def test_an_unreachable_api_url_fails_in_under_five_seconds(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = get_settings(qaihub_token="t", qaihub_api_url=f"http://127.0.0.1:{port}", home=tmp_path / "home")
    started = time.monotonic()
    with pytest.raises(QaiHubUnreachable) as info:
        QaiHubBackend(settings, work_dir=tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    assert time.monotonic() - started < 5
    assert f"127.0.0.1:{port}" in str(info.value)


def test_a_silent_api_url_fails_in_under_five_seconds(tmp_path: Path) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings = get_settings(qaihub_token="t", qaihub_api_url=url, home=tmp_path / "home")
        started = time.monotonic()
        with pytest.raises(QaiHubUnreachable):
            QaiHubBackend(settings, work_dir=tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
        assert time.monotonic() - started < 5


def test_the_pipeline_protocol_gives_device_builds_measured_on_each_device(standin: StandIn, tmp_path: Path) -> None:
    hub = backend(standin, tmp_path)
    request = DeviceRequest("hello", "float", {None: HELLO_ONNX}, devices=(S24, S25), runtimes=("onnx",))
    (portable,) = hub.device_builds(request)
    assert portable.portable and portable.error is None and portable.files[0].read_bytes()
    bench, other = sorted(portable.benchmarks, key=lambda b: b["device"] != S24)
    assert bench["provenance"] == "measured-device" and bench["device"] == S24
    assert bench["latency_ms"] == pytest.approx(float(published(S24, "onnx")["inference_time_ms"]))
    assert bench["details"]["tool_versions"]["ONNX Runtime"] == published(S24, "onnx")["onnx_runtime_version"]
    # the portable build is compiled once, profiled per device
    assert other["device"] == S25 and other["details"]["compile_job_id"] == bench["details"]["compile_job_id"]
    assert [kind for kind, _ in standin.submissions].count("compile") == 1


def test_a_quantized_precision_can_go_through_an_ai_hub_quantize_job(standin: StandIn, tmp_path: Path) -> None:
    hub = backend(standin, tmp_path, quantize_on_hub=True)
    (build,) = hub.run({None: HELLO_ONNX}, "w8a8", ["tflite"], [S24], calibration=samples(4))
    assert build.error is None and build.precision == "w8a8" and build.benchmarks
    assert [kind for kind, _ in standin.submissions] == ["quantize", "compile", "inference"]
    quantize = next(job for job in standin.jobs.values() if job.kind == "quantize")
    assert quantize.pb.quantize_job.weights_dtype == standin.pb.QUANTIZE_DTYPE_INT8
    w8a8 = published(S24, "tflite", precision="w8a8")  # the stand-in reports the published w8a8 figure
    assert build.benchmarks[0]["latency_ms"] == pytest.approx(float(w8a8["inference_time_ms"]))
    with pytest.raises(Exception, match="calibration"):
        hub.run({None: HELLO_ONNX}, "w8a16", ["tflite"], [S24])


def test_a_rerun_resubmits_only_the_jobs_that_failed(standin: StandIn, tmp_path: Path) -> None:
    standin.config.fail[S25] = "Device busy."
    (first,) = backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24, S25])
    assert S25 in first.details["device_errors"]
    standin.config.fail.clear()
    (second,) = backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24, S25])
    assert {b["device"] for b in second.benchmarks} == {S24, S25} and "device_errors" not in second.details
    assert len(second.details["resubmitted_failed_jobs"]) == 1
    assert [kind for kind, _ in standin.submissions] == ["compile", "inference", "inference", "inference"]


def test_a_two_component_model_is_compiled_and_profiled_per_component(standin: StandIn, tmp_path: Path) -> None:
    (build,) = backend(standin, tmp_path).run(
        {"encoder": HELLO_ONNX, "decoder": HELLO_ONNX}, "float", ["qnn_dlc"], [S24]
    )
    assert build.error is None
    assert sorted(f.parent.name for f in build.files) == ["decoder", "encoder"]
    assert sorted(b["component"] for b in build.benchmarks) == ["decoder", "encoder"]
    assert set(build.details["compile_jobs"]) == {"encoder", "decoder"}


def test_the_guard_stops_any_attempt_to_reach_the_real_ai_hub(tmp_path: Path, no_network: list[str]) -> None:
    settings = get_settings(qaihub_token="real-looking-token", home=tmp_path / "home")  # default: the real API URL
    with pytest.raises(pytest.fail.Exception, match="only loopback is allowed"):
        QaiHubBackend(settings, work_dir=tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    assert no_network == ["workbench.aihub.qualcomm.com"]
    no_network.clear()  # seen and stopped: the guard's own teardown check would fail the test otherwise


def test_load_times_and_memory_come_through_in_the_units_ai_hub_reports(standin: StandIn, tmp_path: Path) -> None:
    # Figures given by this test (not a measurement): 1.5 ms inference, 2-3 MiB, loads of 80 ms and 12 ms.
    standin.config.profiles[(S24, "tflite")] = {
        "inference_time_ms": "1.5",
        "peak_memory_min_mb": "2",
        "peak_memory_max_mb": "3",
        "layers_npu": "5",
        "layers_cpu": "2",
        "qairt_version": "2.42.0",
        "tflite_version": "2.17.0",
        "first_load_time_us": "80000",
        "warm_load_time_us": "12000",
    }
    (build,) = backend(standin, tmp_path).run({None: HELLO_ONNX}, "float", ["tflite"], [S24])
    (bench,) = build.benchmarks
    assert bench["latency_ms"] == 1.5 and bench["details"]["inference_time_us"] == 1500
    assert bench["details"]["first_load_time_ms"] == 80.0 and bench["details"]["warm_load_time_ms"] == 12.0
    assert bench["compute_units"] == {"NPU": 5, "CPU": 2, "primary": "NPU", "total_layers": 7}
    assert bench["peak_memory_mb"] == 3.0
    assert build.details["tool_versions"] == {"QAIRT": "2.42.0", "TFLite": "2.17.0"}
