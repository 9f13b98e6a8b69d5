"""Static QDQ quantization with calibration, shared by w8a8, w8a16 and mixed.

The steps: name nodes, convert opsets below 13 (per-channel QDQ needs ``axis``), pre-process (symbolic shape
inference, falling back to ONNX shape inference only), then quantize once per calibration method on the
calibration slice and keep the method whose output is closest to FP32 on the held-out slice.

Targets (``options.target``; docs/compatibility.md, "Which ONNX layout"):
- ``npu`` (the default for w8a8 and w8a16): the QNN QDQ layout, so the one published file runs on Snapdragon through
  ONNX Runtime's QNN execution provider and, unchanged, on the host CPU (w8a8 activations are QUInt8, which x86
  fuses into QLinearConv).
- ``cpu`` (the default for mixed; opt-in for w8a8 and w8a16, recorded as ``variant: onnxruntime-cpu``): onnxruntime's
  CPU kernels. Weights QInt8 per channel; activations QUInt8 for w8a8
  (x86 fuses QLinearConv only for uint8 activations: QInt8 activations ran slower than FP32 here) and
  QUInt16 for w8a16 (opset 21 QuantizeLinear; host ORT runs it through float kernels, so w8a16 is for
  accuracy on NPUs, not host speed).
  The ``npu`` layout is the one QNN HTP expects, from ``get_qnn_qdq_config``: uint8 weights per tensor, uint8
  (w8a8) or uint16 (w8a16) activations; pre-processed with ``qnn_preprocess_model``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest import fidelity
from ingest.optimize import calibration, graph
from ingest.optimize.base import Job
from registry.errors import InvalidInput, require

log = logging.getLogger(__name__)

METHODS: Final = ("MinMax", "Percentile", "Entropy")
DEFAULT_METHODS: Final = ("MinMax", "Percentile")
# Percentile and Entropy calibrate 2.5-7x slower than MinMax (FIELD-NOTES); used to skip them early.
SLOWER_METHOD_FACTOR: Final = 3.0
TARGETS: Final = ("cpu", "npu")
# Precisions whose builds use the QNN QDQ layout unless a recipe asks for target: cpu.
NPU_BY_DEFAULT: Final = frozenset({"w8a8", "w8a16"})
# onnxruntime's histogram calibrators (Percentile, Entropy) keep every activation of every calibration sample in
# memory before building histograms; MinMax folds them as it goes. Whisper's encoder at 64 samples took 13.5 GB.
HISTOGRAM_METHODS: Final = frozenset({"Percentile", "Entropy", "Distribution"})
HISTOGRAM_COPY_FACTOR: Final = 2.0  # the outputs plus the merged per-tensor lists built from them
OPTIONS: Final = frozenset(
    {
        "target",
        "calibration_methods",
        "calibration_time_budget_s",
        "calibration_memory_budget_mb",
        "holdout_fraction",
        "per_channel",
        "percentile",
    }
)


@dataclass(frozen=True)
class Scheme:
    name: str
    activation: str  # onnxruntime QuantType member names
    weight: str
    npu_activation: str  # QNN HTP takes unsigned activations and uint8 weights


W8A8: Final = Scheme("w8a8", activation="QUInt8", weight="QInt8", npu_activation="QUInt8")
W8A16: Final = Scheme("w8a16", activation="QUInt16", weight="QInt8", npu_activation="QUInt16")


@dataclass
class Prepared:
    """The float model ready for quantization, the split samples and the FP32 reference on the held-out."""

    path: Path
    target: str
    calibrate: list[dict[str, np.ndarray]]
    held_out: list[dict[str, np.ndarray]]
    reference: list[dict[str, np.ndarray]]
    details: dict[str, Any]
    large: bool  # above the protobuf limit: quantized models are written with external data


@dataclass
class Quantized:
    path: Path
    method: str
    cache: Path
    errors: dict[str, float]


def default_target(job: Job) -> str:
    return str(job.choice("target", "npu" if job.precision in NPU_BY_DEFAULT else "cpu", TARGETS))


def prepare(job: Job) -> Prepared:
    """Check calibration, upgrade the opset, pre-process; measure the FP32 reference on the held-out slice."""
    target = default_target(job)
    samples = calibration.check(job.calibration, graph.input_specs(job.model), precision=job.precision)
    fraction = job.number("holdout_fraction", 0.25, minimum=0.0)
    calibrate, held_out = calibration.split(samples, min(fraction, 0.9))
    details: dict[str, Any] = {
        "target": target,
        "calibration_samples": len(calibrate),
        "held_out_samples": len(held_out) if held_out is not calibrate else 0,
    }
    model = job.model
    graph.name_nodes(model)
    model, old_opset = graph.upgrade_opset(model)
    if old_opset is not None:
        details["opset_converted"] = {"from": old_opset, "to": graph.onnx_opset(model)}
    float_path = job.scratch / "float.onnx"
    graph.save(model, float_path)
    pre_path = job.scratch / "preprocessed.onnx"
    details["preprocess"] = _preprocess(float_path, pre_path, target)
    pre_model = graph.load(pre_path)
    named = graph.name_nodes(pre_model)
    unshared = graph.unshare_biases(pre_model)
    if unshared:
        details["biases_unshared"] = unshared
    if named or unshared:
        graph.save(pre_model, pre_path)
    reference = fidelity.run_model(pre_path, held_out)
    large = graph.total_size(pre_path) >= graph.EXTERNAL_DATA_THRESHOLD
    return Prepared(pre_path, target, calibrate, held_out, reference, details, large)


def _preprocess(src: Path, dst: Path, target: str) -> str:
    """Which pre-processing ran: the QNN fusions, symbolic shapes, ONNX shapes only, or none."""
    if target == "npu":
        qnn = require("onnxruntime.quantization.execution_providers.qnn", "ml")
        if qnn.qnn_preprocess_model(str(src), str(dst)):
            return "qnn_preprocess_model"
        dst.write_bytes(src.read_bytes())
        return "none-needed"
    quantization = require("onnxruntime.quantization", "ml")
    large = graph.total_size(src) >= graph.EXTERNAL_DATA_THRESHOLD
    external = {"save_as_external_data": large, "all_tensors_to_one_file": True}
    with graph.scratch_dir(src.parent):
        try:
            quantization.quant_pre_process(str(src), str(dst), **external)
            return "quant_pre_process"
        except Exception as exc:
            log.info("symbolic shape inference failed (%s); retrying without it", exc)
        try:
            quantization.quant_pre_process(str(src), str(dst), skip_symbolic_shape=True, **external)
            return "quant_pre_process(skip_symbolic_shape)"
        except Exception as exc:
            log.warning("quant_pre_process failed (%s); quantizing the model as exported", exc)
    dst.write_bytes(src.read_bytes())
    return "none (quant_pre_process failed)"


def methods_from(job: Job) -> list[str]:
    raw = job.option("calibration_methods", DEFAULT_METHODS)
    names = [raw] if isinstance(raw, str) else list(raw)
    by_lower = {m.lower(): m for m in METHODS}
    chosen = []
    for name in names:
        method = by_lower.get(str(name).lower())
        if method is None:
            raise InvalidInput(f"Unknown calibration method {name!r}.", hint=f"Use any of: {', '.join(METHODS)}.")
        chosen.append(method)
    if not chosen:
        raise InvalidInput("calibration_methods is empty.", hint=f"Use any of: {', '.join(METHODS)}.")
    return chosen


def quantize(
    job: Job,
    prepared: Prepared,
    scheme: Scheme,
    method: str,
    out: Path,
    *,
    cache: Path,
    exclude: list[str] | None = None,
    op_types: list[str] | None = None,
) -> None:
    """One static QDQ quantization; calibration ranges are read from ``cache`` when it exists."""
    q = require("onnxruntime.quantization", "ml")
    reader = None if cache.is_file() else calibration.Reader(prepared.calibrate)
    extra: dict[str, Any] = {}
    if method == "Percentile":
        extra["CalibPercentile"] = job.number("percentile", 99.999, minimum=50.0)
    # The calibrators print progress to stdout; keep a caller's CLI output clean.
    with graph.scratch_dir(job.scratch), contextlib.redirect_stdout(io.StringIO()):
        if prepared.target == "npu":
            qnn = require("onnxruntime.quantization.execution_providers.qnn", "ml")
            config = qnn.get_qnn_qdq_config(
                str(prepared.path),
                reader or calibration.Reader(prepared.calibrate),
                calibrate_method=q.CalibrationMethod[method],
                activation_type=q.QuantType[scheme.npu_activation],
                weight_type=q.QuantType.QUInt8,
                per_channel=bool(job.option("per_channel", False)),
                nodes_to_exclude=exclude or None,
            )
            extra.update(config.extra_options)
            q.quantize_static(
                str(prepared.path),
                str(out),
                reader,
                quant_format=config.quant_format,
                op_types_to_quantize=config.op_types_to_quantize,
                per_channel=config.per_channel,
                activation_type=config.activation_type,
                weight_type=config.weight_type,
                nodes_to_exclude=config.nodes_to_exclude,
                use_external_data_format=prepared.large,
                calibrate_method=config.calibrate_method,
                extra_options=extra,
                calibration_cache_path=str(cache),
            )
            return
        q.quantize_static(
            str(prepared.path),
            str(out),
            reader,
            quant_format=q.QuantFormat.QDQ,
            per_channel=bool(job.option("per_channel", True)),
            activation_type=q.QuantType[scheme.activation],
            weight_type=q.QuantType[scheme.weight],
            nodes_to_exclude=exclude or None,
            op_types_to_quantize=op_types or None,
            use_external_data_format=prepared.large,
            calibrate_method=q.CalibrationMethod[method],
            extra_options=extra,
            calibration_cache_path=str(cache),
        )


def measure(path: Path, prepared: Prepared, samples: int | None = None) -> dict[str, float]:
    """Fidelity of the model at ``path`` against the FP32 reference, on the held-out slice (or its head)."""
    count = len(prepared.held_out) if samples is None else max(1, samples)
    outputs = fidelity.run_model(path, prepared.held_out[:count])
    return fidelity.compare(prepared.reference[:count], outputs)


def histogram_memory_mb(prepared: Prepared) -> float:
    """What a histogram calibrator would hold: every node output of the graph, for every calibration sample."""
    from registry.estimator.graphcost import analyze_onnx

    per_sample = sum(n.act_out_bytes for n in analyze_onnx(prepared.path).nodes if not n.constant)
    return per_sample * len(prepared.calibrate) * HISTOGRAM_COPY_FACTOR / 2**20


def choose_method(
    job: Job,
    prepared: Prepared,
    scheme: Scheme,
    *,
    exclude: list[str] | None = None,
    op_types: list[str] | None = None,
    tag: str = "",
) -> tuple[Quantized, dict[str, Any]]:
    """Quantize with each calibration method (time permitting) and keep the lowest held-out error."""
    methods = methods_from(job)
    budget = job.number("calibration_time_budget_s", 120.0, minimum=0.0)
    started = time.perf_counter()
    measured: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    best: Quantized | None = None
    first_seconds = 0.0
    for method in methods:
        elapsed = time.perf_counter() - started
        if best is not None and elapsed + first_seconds * SLOWER_METHOD_FACTOR > budget:
            skipped[method] = f"time budget ({budget:.0f} s) would be exceeded"
            continue
        if best is not None and method in HISTOGRAM_METHODS:
            need_mb = histogram_memory_mb(prepared)
            allowed_mb = job.number("calibration_memory_budget_mb", 4096.0, minimum=0.0)
            if need_mb > allowed_mb:
                skipped[method] = f"would hold ~{need_mb:,.0f} MB of activations (budget {allowed_mb:,.0f} MB)"
                continue
        out = job.scratch / f"{scheme.name}{tag}-{method}.onnx"
        cache = job.scratch / f"calibration{tag}-{method}.json"
        t0 = time.perf_counter()
        quantize(job, prepared, scheme, method, out, cache=cache, exclude=exclude, op_types=op_types)
        errors = measure(out, prepared)
        seconds = time.perf_counter() - t0
        first_seconds = first_seconds or seconds
        measured[method] = {
            "sqnr_db": errors["sqnr_db"],
            "cosine": errors["cosine"],
            "psnr_db": errors["psnr_db"],
            "seconds": round(seconds, 3),
        }
        if best is None or errors["sqnr_db"] > best.errors["sqnr_db"]:
            best = Quantized(out, method, cache, errors)
    assert best is not None  # the first method always runs
    details = {
        "calibration_method": best.method,
        "calibration_errors": measured,
        "calibration_selected_by": "highest SQNR vs FP32 on the held-out slice",
    }
    if skipped:
        details["calibration_skipped"] = skipped
    return best, details


def describe_scheme(prepared: Prepared, scheme: Scheme, job: Job) -> dict[str, Any]:
    if prepared.target == "npu":
        return {
            "method": "static_qdq",
            "variant": "qnn-htp",
            "layout": "QNN QDQ: runs on ONNX Runtime's QNN execution provider and on the CPU",
            "quant_config": "onnxruntime get_qnn_qdq_config",
            "activation_type": scheme.npu_activation,
            "weight_type": "QUInt8",
            "per_channel": bool(job.option("per_channel", False)),
        }
    return {
        "method": "static_qdq",
        "variant": "onnxruntime-cpu",
        "activation_type": scheme.activation,
        "weight_type": scheme.weight,
        "per_channel": bool(job.option("per_channel", True)),
    }


def run(job: Job, scheme: Scheme) -> tuple[Path, dict[str, Any]]:
    """The whole static path for one scheme: (quantized model in the scratch dir, details)."""
    prepared = prepare(job)
    best, chosen = choose_method(job, prepared, scheme)
    details = {
        **describe_scheme(prepared, scheme, job),
        **prepared.details,
        **chosen,
        "fidelity": best.errors,
    }
    if prepared.target == "npu":
        from ingest.optimize.qnn_check import qnn_layout_problems

        details["qnn_layout_problems"] = qnn_layout_problems(best.path)  # [] when QNN's EP takes it as it is
    return best.path, details
