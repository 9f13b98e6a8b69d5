"""AI Hub results as the publish manifest's benchmark and evaluation dicts, and small helpers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.backends.qaihub_jobs import job_link
from registry.vocab import MEASURED_DEVICE

MIB = 1024 * 1024


def benchmark_dict(
    profile: Mapping[str, Any],
    tools: Mapping[str, str],
    *,
    job_id: str,
    compile_job_id: str,
    device_name: str,
    chipset: str,
    runtime: str,
    component: str | None,
) -> dict[str, Any]:
    """A ``measured-device`` benchmark from ``InferenceJob.download_profile()`` (times in µs, memory in bytes)."""
    summary = profile.get("execution_summary", {})
    counts: dict[str, int] = {}
    for layer in profile.get("execution_detail", []):
        counts[layer["compute_unit"]] = counts.get(layer["compute_unit"], 0) + 1
    details: dict[str, Any] = {
        "job_id": job_id,
        "job_url": job_link(job_id),
        "compile_job_id": compile_job_id,
        "compile_job_url": job_link(compile_job_id),
        "hub_device": device_name,
        "chipset": chipset,
        "runtime": runtime,
        "reported_unit": "microseconds",
        "inference_time_us": summary.get("estimated_inference_time"),
        "tool_versions": dict(tools),
    }
    peak = summary.get("inference_memory_peak_range")
    if isinstance(peak, (list, tuple)) and len(peak) == 2:
        details["peak_memory_range_mb"] = [round(peak[0] / MIB, 3), round(peak[1] / MIB, 3)]
    for name in ("first_load_time", "warm_load_time", "compile_time"):
        value = summary.get(name)
        if isinstance(value, int) and value > 0:
            details[f"{name}_ms"] = value / 1000.0
    if times := summary.get("all_inference_times"):
        details["all_inference_times_us"] = list(times)
    units: dict[str, Any] = dict(counts)
    if counts:
        units["primary"] = max(counts, key=lambda unit: counts[unit])
        units["total_layers"] = sum(counts.values())
    latency = summary.get("estimated_inference_time")
    return {
        "device": device_name,
        "provenance": MEASURED_DEVICE,
        "source": f"Qualcomm AI Hub profile (inference job {job_id})",
        "component": component,
        "latency_ms": latency / 1000.0 if isinstance(latency, (int, float)) and latency > 0 else None,
        "peak_memory_mb": details["peak_memory_range_mb"][1] if "peak_memory_range_mb" in details else None,
        "compute_units": units,
        "details": details,
    }


def evaluation_dict(
    outputs: Mapping[str, Sequence[np.ndarray]] | None,
    fp32_outputs: Sequence[Mapping[str, np.ndarray]],
    *,
    job_id: str,
    device_name: str,
    runtime: str,
    component: str | None,
) -> dict[str, Any] | None:
    """A ``measured-device`` fidelity evaluation: the device's outputs against the local FP32 outputs."""
    from ingest.fidelity import compare

    if not outputs:
        return None
    names = list(fp32_outputs[0])
    data = dict(outputs)
    if set(names) != set(data):  # compiled runtimes may rename outputs; AI Hub keeps their order
        data = {n: data[h] for n, h in zip(names, list(data), strict=False)}
    samples = [
        {n: np.asarray(data[n][i]).reshape(np.asarray(fp32_outputs[i][n]).shape) for n in names}
        for i in range(len(fp32_outputs))
    ]
    metrics = compare(fp32_outputs, samples)
    return {
        "dataset": "ingest-eval-inputs",
        "metric": "psnr_db",
        "value": metrics["psnr_db"],
        "kind": "fidelity",
        "sample_count": len(samples),
        "higher_is_better": True,
        "provenance": MEASURED_DEVICE,
        "source": f"Qualcomm AI Hub inference job {job_id} vs local FP32 (onnxruntime)",
        "device": device_name,
        "component": component,
        "details": {
            "job_id": job_id,
            "job_url": job_link(job_id),
            "runtime": runtime,
            **{k: v for k, v in metrics.items() if k != "psnr_db"},
        },
    }


def tool_versions(client: Any, job_id: str) -> dict[str, str]:
    """QAIRT / TFLite / ONNX Runtime versions of a profile (not in ``download_profile()``'s dict)."""
    from qai_hub import public_rest_api

    result = client._api_call(public_rest_api.get_job_results, job_id)
    detail = result.inference_job_result.detail
    return {tool.name: tool.version for tool in detail.tool_versions if tool.version}


def entries_of(samples: Sequence[Mapping[str, np.ndarray]]) -> dict[str, list[np.ndarray]]:
    """Samples (one dict per sample) as AI Hub dataset entries (one list per input, in input order)."""
    names = list(samples[0])
    return {n: [np.ascontiguousarray(s[n]) for s in samples] for n in names}


def samples_digest(samples: Sequence[Mapping[str, np.ndarray]]) -> str:
    h = hashlib.sha256()
    for sample in samples:
        for name in sample:
            array = np.ascontiguousarray(sample[name])
            h.update(json.dumps([name, array.shape, str(array.dtype)]).encode())
            h.update(array.tobytes())
    return h.hexdigest()[:16]


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def first_line(exc: BaseException) -> str:
    """The client's boxed messages as one line."""
    text = " ".join(line.strip("|└┌─┐┘ ") for line in str(exc).splitlines())
    return " ".join(text.split()) or type(exc).__name__
