"""Pure helpers for the catalog UI: which figure to show for a build on a device, badges, best build, Pareto.

No Streamlit here, so the rules can be read (and tested) on their own. A figure is always shown with its
provenance; figures of different provenance are never merged into one number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from registry.entities import BenchmarkInfo, BuildInfo, DeviceInfo, EvaluationInfo
from registry.vocab import (
    ESTIMATED,
    EVALUATION_UNITS,
    MEASURED_DEVICE,
    MEASURED_HOST,
    PORTABLE_TARGET,
    PUBLISHED,
    as_fraction,
    evaluation_text,
)

# Most trustworthy first: a measurement on the SoC, a third party's figure for it, an estimate for it, and
# last a measurement on this host's CPU (which says nothing certain about the device).
PROVENANCE_RANK = {MEASURED_DEVICE: 0, PUBLISHED: 1, ESTIMATED: 2, MEASURED_HOST: 3}
NO_ACCURACY_RANDOM = "— (random weights: see fidelity)"
WEIGHTS_TEXT = {
    "real": "real weights (upstream checkpoint)",
    "trained-here": "weights trained here",
    "random": "random weights (for trying the pipeline, not for accuracy)",
}


def fmt_ms(value: float) -> str:
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2g} ms"


def fmt_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def latency_badge(bench: BenchmarkInfo | None) -> str:
    """``3.1 ms · measured-host`` or ``~3.1 ms (estimated, ±22%)``; an em dash when there is no figure. A total
    over a multi-component build names its parts: ``12 ms · measured-host (encoder 5 ms + decoder 7 ms)``."""
    if bench is None or bench.latency_ms is None:
        return "—"
    parts = bench.details.get("components") if bench.component is None else None
    split = " + ".join(f"{c} {fmt_ms(ms)}" for c, ms in parts.items()) if isinstance(parts, dict) else ""
    if bench.provenance == ESTIMATED:
        err = f", ±{bench.error_pct:g}%" if bench.error_pct is not None else ""
        anchored = f", anchored on {bench.anchored_on}" if bench.anchored_on else ""
        return f"~{fmt_ms(bench.latency_ms)} (estimated{err}{anchored})" + (f" (total: {split})" if split else "")
    where = f" on {bench.device_slug}" if bench.provenance == PUBLISHED and bench.device_slug else ""
    reported = f", self-reported by {bench.reported_by}" if bench.reported_by else ""
    total = f" (total: {split})" if split else ""
    return f"{fmt_ms(bench.latency_ms)} · {bench.provenance}{where}{reported}{total}"


def threads_of(bench: BenchmarkInfo) -> int | None:
    """The thread count of a host measurement (its details, or the '2 thread(s)' in its source)."""
    threads = bench.details.get("threads")
    if isinstance(threads, int):
        return threads
    import re

    found = re.search(r"(\d+) thread", bench.source)
    return int(found[1]) if found else None


def where_label(bench: BenchmarkInfo) -> str:
    """``sd8g3``, or ``host CPU · 1 thread`` for a host measurement."""
    if bench.device is not None:
        return bench.device_slug or bench.device
    n = threads_of(bench)
    return "host CPU" + (f" · {n} thread{'s' if n != 1 else ''}" if n else "")


def compute_units_text(units: dict[str, object]) -> str:
    """A compute-unit split people can read: ``NPU 100% (118)``, ``CPU 100%``, or the estimator's
    ``NPU (97% of nodes; CPU fallback: Gather, Range)``."""
    if not units:
        return "—"
    if "primary" in units:
        share = units.get("npu_node_share")
        fallback = units.get("fallback_ops") or []
        extra = [f"{share:.0%} of nodes on the NPU" if isinstance(share, float) else ""]
        if isinstance(fallback, list) and fallback:
            more = " …" if len(fallback) > 4 else ""
            extra.append("CPU fallback: " + ", ".join(str(op) for op in fallback[:4]) + more)
        detail = "; ".join(e for e in extra if e)
        return f"{units['primary']}" + (f" ({detail})" if detail else "")
    numbers = {k: float(v) for k, v in units.items() if isinstance(v, int | float)}
    total = sum(numbers.values())
    if not total:
        return "—"
    return " · ".join(
        f"{k.upper()} {v / total:.0%}" + (f" ({v:g})" if total != 1.0 else "")
        for k, v in sorted(numbers.items(), key=lambda kv: -kv[1])
    )


def eval_value(value: float, unit: str) -> str:
    """A value on its scale (``61.0%``, ``0.993 of 1``, ``28.1 dB``): ``registry.vocab.evaluation_text``."""
    return evaluation_text(value, unit)


def eval_badge(ev: EvaluationInfo | None) -> str:
    """``top1 71.2% (float 73.1%) · measured-host``, ``cosine 0.993 of 1 · measured-host``: the metric, its value
    on its scale, the FP32 figure, the provenance. A figure from a degenerate run (accepted by the user) says so
    first, and one measured on synthetic inputs says that."""
    if ev is None:
        return "—"
    # Fidelity is agreement with the float build itself: its "float figure" (cosine 1) says nothing.
    has_ref = ev.reference_value is not None and ev.kind == "accuracy"
    ref = f" (float {eval_value(ev.reference_value or 0.0, ev.unit)})" if has_ref else ""
    flag = "DEGENERATE " if ev.details.get("degenerate") else ""
    synthetic = ", synthetic inputs" if ev.details.get("synthetic_data") else ""
    lower = ", lower is better" if not ev.higher_is_better else ""
    return f"{flag}{ev.metric} {eval_value(ev.value, ev.unit)}{ref} · {ev.provenance}{synthetic}{lower}"


def scale_of(unit: str) -> str:
    """The axis unit of a chart of these values: ``%`` for accuracies (fractions are shown as percentages)."""
    return "%" if unit in ("fraction", "percent") else EVALUATION_UNITS.get(unit, unit)


def chart_value(value: float, unit: str) -> float:
    fraction = as_fraction(value, unit)
    return fraction * 100 if fraction is not None else value


def accuracy_text(evaluations: Iterable[EvaluationInfo], weights: str) -> str:
    """The accuracy cell: every whole-model task metric, or why there is none (random weights never have one)."""
    if weights == "random":
        return NO_ACCURACY_RANDOM
    return "; ".join(eval_badge(e) for e in evaluations if e.kind == "accuracy" and e.component is None) or "—"


def shapes_text(details: Mapping[str, object]) -> str:
    """``x 1x3x640x640`` from a figure's ``input_shapes`` (the exact shapes it was measured at); "" if unknown."""
    shapes = details.get("input_shapes")
    if not isinstance(shapes, Mapping):
        return ""
    return ", ".join(
        f"{name} {'x'.join(str(d) for d in dims) or 'scalar'}"
        for name, dims in shapes.items()
        if isinstance(dims, list)
    )


def data_text(build: BuildInfo) -> str:
    """Where a build's calibration and evaluation data came from: ``synthetic`` or ``given (N samples)``."""
    data = build.details.get("data")
    if not isinstance(data, Mapping) or not data:
        return ""
    kinds = []
    for comp in data.values():
        for use in ("calibration", "evaluation"):
            rec = comp.get(use) if isinstance(comp, Mapping) else None
            if isinstance(rec, Mapping):
                kinds.append(f"{use} {rec.get('kind', '?')}")
    return ", ".join(dict.fromkeys(kinds))


def usable_on(build: BuildInfo, chipset: str | None) -> bool:
    """A portable build runs anywhere; a chipset-specific one only on its chipset."""
    return build.target == PORTABLE_TARGET or (chipset is not None and build.target == chipset)


def latency_on(build: BuildInfo, chipset: str | None) -> BenchmarkInfo | None:
    """The build's whole-model latency figure for ``chipset``: the most trustworthy provenance, then the
    fastest. A host measurement is the fallback, and says so in its badge."""
    found = [
        b
        for b in build.benchmarks
        if b.latency_ms is not None and b.component is None and (b.device is None or b.device == chipset)
    ] or component_totals(build, chipset)
    found.sort(key=lambda b: (PROVENANCE_RANK.get(b.provenance, 9), b.latency_ms or 0.0))
    return found[0] if found else None


def component_totals(build: BuildInfo, chipset: str | None) -> list[BenchmarkInfo]:
    """For a multi-component build (encoder + decoder, text encoder + UNet + VAE) measured per component: one total
    per (provenance, device, threads) that covers every component, its parts in ``details["components"]``."""
    components = {f.component for f in build.files if f.component}
    groups: dict[tuple[str, str | None, object], dict[str, BenchmarkInfo]] = {}
    for b in build.benchmarks:
        if b.component and b.latency_ms is not None and (b.device is None or b.device == chipset):
            groups.setdefault((b.provenance, b.device, b.details.get("threads")), {})[b.component] = b
    totals = []
    for parts in groups.values():
        if len(parts) < 2 or (components and set(parts) != components):
            continue
        first = next(iter(parts.values()))
        errors = [p.error_pct for p in parts.values() if p.error_pct is not None]
        totals.append(
            first.model_copy(
                update={
                    "component": None,
                    "latency_ms": sum(p.latency_ms or 0.0 for p in parts.values()),
                    "latency_p90_ms": None,
                    "peak_memory_mb": max((p.peak_memory_mb or 0.0) for p in parts.values()) or None,
                    "error_pct": max(errors) if errors else None,
                    "details": {**first.details, "components": {c: p.latency_ms for c, p in sorted(parts.items())}},
                }
            )
        )
    return totals


def accuracy_score(ev: EvaluationInfo | None) -> float:
    """An accuracy as a fraction for sorting across models (higher first); -inf when it is on no common scale."""
    fraction = as_fraction(ev.value, ev.unit) if ev and ev.higher_is_better else None
    return fraction if fraction is not None else float("-inf")


def fastest_per_device(builds: Iterable[BuildInfo]) -> dict[str, BenchmarkInfo]:
    """A model's fastest whole-model figure per device slug (``host CPU`` for the host), over all its builds; a build
    measured per component only (Whisper, Stable Diffusion, MTCNN) counts by its totals."""
    best: dict[str, BenchmarkInfo] = {}
    for b in builds:
        figures = [x for x in b.benchmarks if x.latency_ms is not None and x.component is None]
        if not figures:
            devices = {x.device for x in b.benchmarks if x.component is not None}
            figures = [t for dv in devices for t in component_totals(b, dv) if t.device == dv]
        for x in figures:
            column = x.device_slug or x.device or "host CPU"
            if column not in best or (x.latency_ms or 0.0) < (best[column].latency_ms or 0.0):
                best[column] = x
    return best


def evaluation_of(build: BuildInfo, kind: str = "accuracy") -> EvaluationInfo | None:
    evs = [e for e in build.evaluations if e.kind == kind and e.component is None]
    evs.sort(key=lambda e: (PROVENANCE_RANK.get(e.provenance, 9), e.id))
    return evs[0] if evs else None


@dataclass(frozen=True)
class BuildChoice:
    build: BuildInfo
    latency: BenchmarkInfo | None
    accuracy: EvaluationInfo | None
    fidelity: EvaluationInfo | None


# A build whose outputs stray this far from the FP32 model's (cosine, any component) is never recommended over one
# that stays close: it is still listed, with its figure, but "best" means fast AND faithful.
FIDELITY_FLOOR = 0.95


def poor_fidelity(build: BuildInfo) -> bool:
    """Any component's cosine to FP32 below ``FIDELITY_FLOOR`` (a degenerate figure counts as poor too)."""
    return any(
        e.kind == "fidelity" and e.metric == "cosine" and (e.value < FIDELITY_FLOOR or e.details.get("degenerate"))
        for e in build.evaluations
    )


def best_build(
    builds: Iterable[BuildInfo],
    chipset: str | None,
    *,
    precision: str | None = None,
    runtime: str | None = None,
) -> BuildChoice | None:
    """The build to show for a device: usable there, matching the filters, faithful to FP32 (``poor_fidelity``
    builds only when nothing else matches), fastest by its own figure (builds without a figure last); ties go to the
    better provenance, then the chipset-specific build."""
    candidates = []
    for b in builds:
        if not usable_on(b, chipset) and chipset is not None:
            continue
        if (precision and b.precision != precision) or (runtime and b.runtime != runtime):
            continue
        lat = latency_on(b, chipset)
        key = (
            poor_fidelity(b),
            lat is None,
            lat.latency_ms if lat and lat.latency_ms is not None else 0.0,
            PROVENANCE_RANK.get(lat.provenance, 9) if lat else 9,
            b.target == PORTABLE_TARGET,
            b.id,
        )
        candidates.append((key, b, lat))
    if not candidates:
        return None
    _, build, lat = min(candidates, key=lambda c: c[0])
    return BuildChoice(build, lat, evaluation_of(build, "accuracy"), evaluation_of(build, "fidelity"))


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both lower latency and higher accuracy, by latency."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front: list[int] = []
    best_acc = float("-inf")
    for i in order:
        if points[i][1] > best_acc:
            front.append(i)
            best_acc = points[i][1]
    return front


def device_label(d: DeviceInfo) -> str:
    return f"{d.marketing_name} ({d.slug})"


def pull_command(model: str, version: str, device: str, build: BuildInfo) -> str:
    return (
        f"registry pull {model} --device {device} --precision {build.precision} --version {version}"
        f" --runtime {build.runtime}"
    )


def sdk_snippet(api_url: str, model: str, version: str, device: str, build: BuildInfo) -> str:
    return (
        "from registry import Client\n\n"
        f'client = Client("{api_url}")\n'
        f'r = client.resolve("{model}", device="{device}", precision="{build.precision}", '
        f'runtime="{build.runtime}", version="{version}")\n'
        "for f in r.build.files:\n"
        "    print(f.path, f.sha256, f.url)\n"
    )


def needs_text(build: BuildInfo) -> str:
    """What loads the build (docs/compatibility.md): ``onnxruntime >= 1.18 (opset 21) · HTP V75``."""
    r = build.requirements
    parts = [
        f"{axis} >= {v}" + (f" ({r.reasons[axis]})" if r.reasons.get(axis) else "")
        for axis, v in sorted(r.runtimes.items())
    ]
    parts += [f"HTP {r.htp_arch}"] if r.htp_arch else []
    return " · ".join(parts) or "not recorded (published before requirements were recorded)"


def interface_text(build: BuildInfo) -> str:
    """``images [1, 3, 640, 640] float32 → output0 [1, 84, 8400] float32`` (empty when not recorded)."""

    def side(specs: Sequence[object]) -> str:
        out = []
        for t in specs:
            shape = getattr(t, "shape", None)
            component = getattr(t, "component", None)
            name = f"{component}.{getattr(t, 'name', '')}" if component else getattr(t, "name", "")
            out.append(f"{name} {list(shape) if shape is not None else '?'} {getattr(t, 'dtype', '')}")
        return ", ".join(out)

    i = build.interface
    return f"{side(i.inputs)} → {side(i.outputs)}" if i.inputs or i.outputs else ""
