"""Anchored estimates: one measured or published figure of a model re-derives its estimates on every device.

The estimator's remaining error is mostly a property of the model (identical graphs share their residual,
docs/estimator.md). One real figure of the model reveals that residual: an anchor's log residual (measured over
predicted, both for the anchor's own chipset, precision and runtime, on the same graph) moves every other estimate
of the model by the same amount in log space.

    anchored(target) = predicted(target) x exp(clip(k x median over the chosen anchors of log(measured / predicted),
                                                    -cap, cap))

Anchors are chosen by level, best first: the same (precision, runtime) (``same``), then the same runtime
(``runtime``), then any of the model's anchors (``any``). Within a level an anchor on the target chipset itself
wins. ``k`` is 1 at the ``same`` level; across precision or runtime it is the validated factor of the level and
the number of anchor devices (``level_shrink``): a residual seen at another precision carries only in part, and
no more than the level's validated cap (``level_cap``: one odd anchor, e.g. a build that fell back to the CPU, must
not move every other build by as much). An
anchor on a proxy chipset (``qualcomm-qcs9075-proxy``) counts as one on the chipset it mirrors
(``qualcomm-qcs9075``). Each level has its own validated error band (``params.json``'s ``anchoring``, written by
``python -m registry.estimator.fit`` from ``registry.estimator.anchor_cv``). Plain Python, no numpy.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry.vocab import MEASURED_DEVICE, PUBLISHED

LEVELS = ("same", "runtime", "any")
LEVEL_TEXT = {
    "same": "same precision and runtime",
    "runtime": "same runtime, another precision",
    "any": "another runtime",
}
ANCHOR_PROVENANCES = (MEASURED_DEVICE, PUBLISHED)
PROXY_SUFFIX = "-proxy"


@dataclass(frozen=True)
class Anchor:
    """A real figure of the model on one device: an AI Hub profile, a published figure, a user's report."""

    chipset: str
    precision: str
    runtime: str
    component: str | None
    latency_ms: float
    provenance: str
    source: str
    benchmark_id: int | None = None
    reported_by: str | None = None

    def label(self) -> str:
        """What the anchor is, in one line: its source (job id, publication and release, or the reporter's text)
        and its device, precision and runtime."""
        who = f"reported by {self.reported_by}: " if self.reported_by else ""
        return f"{who}{self.source} ({self.chipset}, {self.precision}, {self.runtime})"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "benchmark_id": self.benchmark_id,
            "chipset": self.chipset,
            "precision": self.precision,
            "runtime": self.runtime,
            "component": self.component,
            "latency_ms": self.latency_ms,
            "provenance": self.provenance,
            "source": self.source,
        }
        if self.reported_by:
            out["reported_by"] = self.reported_by
        return out


@dataclass(frozen=True)
class Anchoring:
    """An anchored latency estimate and what it rests on."""

    latency_ms: float
    unanchored_latency_ms: float
    level: str
    error_pct: float
    log_shift: float
    anchors: tuple[Anchor, ...]
    shrink: float = 1.0
    cap: float | None = None  # the bound on the carried log shift (None: not capped)

    def label(self) -> str:
        first = self.anchors[0].label()
        more = f" and {len(self.anchors) - 1} more" if len(self.anchors) > 1 else ""
        return f"{first}{more}"

    def source(self, estimator_version: str) -> str:
        """The benchmark's ``source``: the estimator version and the anchor (cut to the column's 300 characters)."""
        return f"estimator {estimator_version} anchored on {self.label()}"[:300]

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "level_text": LEVEL_TEXT[self.level],
            "label": self.label(),
            "unanchored_latency_ms": self.unanchored_latency_ms,
            "log_shift": round(self.log_shift, 6),
            "shrink": self.shrink,
            "cap": self.cap,
            "error_pct": self.error_pct,
            "anchors": [a.to_json() for a in self.anchors],
        }


def mirrored_chipset(chipset: str, known: Collection[str] | None = None) -> str:
    """The chipset a proxy device mirrors (``qualcomm-qcs9075-proxy`` -> ``qualcomm-qcs9075``) when the catalog
    has it; any other chipset is itself."""
    if not chipset.endswith(PROXY_SUFFIX):
        return chipset
    if known is None:
        from registry.devices import load_device_specs

        known = {s.chipset for s in load_device_specs()}
    base = chipset[: -len(PROXY_SUFFIX)]
    return base if base in known else chipset


def anchor_level(anchor: Anchor, precision: str, runtime: str) -> str:
    """``same`` (same precision and runtime), ``runtime`` (same runtime) or ``any``."""
    if anchor.runtime != runtime:
        return "any"
    return "same" if anchor.precision == precision else "runtime"


def level_error_pct(level: str, anchor_devices: int = 1) -> float | None:
    """The validated error band (68th percentile APE, models the fit never saw) of an anchoring level, with one
    anchor device or several (their median residual is steadier)."""
    from registry.estimator.predict import load_params

    key = "error_pct_one_anchor" if anchor_devices <= 1 else "error_pct"
    bands: Mapping[str, Any] = load_params().get("anchoring", {}).get(key, {})
    value = bands.get(level)
    return float(value) if value is not None else None


def level_shrink(level: str, anchor_devices: int = 1) -> float:
    """How much of an anchor's log residual carries to a target of another precision or runtime: the validated
    least-squares factor (``params.json``'s ``anchoring.shrink``, fitted on the calibration models' anchor pairs).
    A model's residual at one precision and runtime only partly predicts it at another, and a single device's
    residual is the noisier, so carrying it whole made single cross-runtime anchors worse than none. 1 for the
    ``same`` level (the model's own build: the measurement itself)."""
    if level == "same":
        return 1.0
    from registry.estimator.predict import load_params

    factors: Mapping[str, Any] = load_params().get("anchoring", {}).get("shrink", {}).get(level, {})
    value = factors.get("one" if anchor_devices <= 1 else "several")
    return float(value) if value is not None else 1.0


def level_cap(level: str, anchor_devices: int = 1) -> float | None:
    """The bound on the log shift carried to a target of another precision or runtime (``params.json``'s
    ``anchoring.cap``, the bound with the least mean absolute log error on the calibration models' anchor pairs),
    or None (not capped: the ``same`` level, or a level whose validation found no bound better)."""
    if level == "same":
        return None
    from registry.estimator.predict import load_params

    caps: Mapping[str, Any] = load_params().get("anchoring", {}).get("cap", {}).get(level, {})
    value = caps.get("one" if anchor_devices <= 1 else "several")
    return float(value) if value is not None else None


def predict_log_latency(x: Mapping[str, float], chipset: str, precision: str, runtime: str) -> float:
    """log(estimated latency ms) of a graph (its ``model.features``) on a chipset, precision and runtime."""
    from registry.devices import load_device_specs
    from registry.errors import InvalidInput
    from registry.estimator.model import log_latency, precision_class
    from registry.estimator.predict import device_term, load_params

    params = load_params()
    specs = {s.chipset: s for s in load_device_specs()}
    spec = specs.get(chipset)
    if spec is None:
        raise InvalidInput(f"Unknown chipset '{chipset}'.", hint="Use a chipset of the device catalog.")
    if runtime not in params["runtime"]:
        raise InvalidInput(f"Unknown runtime '{runtime}'.", hint=f"Use one of: {', '.join(params['runtime'])}.")
    pclass = precision_class(precision)
    term, _, _ = device_term(params, chipset, pclass, spec.npu_arch, runtime, x)
    return log_latency(params, x, term, runtime, pclass)


def choose_anchors(anchors: Sequence[Anchor], chipset: str, precision: str, runtime: str) -> tuple[str, list[Anchor]]:
    """The best level's anchors for a target (those on the target chipset itself, if any); ("", []) if none."""
    for level in LEVELS:
        chosen = [a for a in anchors if anchor_level(a, precision, runtime) == level]
        if chosen:
            here = [a for a in chosen if mirrored_chipset(a.chipset) == mirrored_chipset(chipset)]
            return level, here or chosen
    return "", []


def anchor_estimate(
    x: Mapping[str, float],
    chipset: str,
    precision: str,
    runtime: str,
    component: str | None,
    anchors: Sequence[Anchor],
    *,
    calibrated: bool = True,
) -> Anchoring | None:
    """The anchored latency of a graph on a target, from the model's anchors of the same component; None when no
    anchor applies. ``calibrated`` False (a chipset without published rows) keeps the uncalibrated error band,
    which anchoring does not narrow: it corrects the model's term, not the device's."""
    usable = [a for a in anchors if a.component == component and a.latency_ms > 0]
    level, chosen = choose_anchors(usable, chipset, precision, runtime)
    if not chosen:
        return None
    shifts = [
        math.log(a.latency_ms) - predict_log_latency(x, mirrored_chipset(a.chipset), a.precision, a.runtime)
        for a in chosen
    ]
    devices = len({mirrored_chipset(a.chipset) for a in chosen})
    shrink, cap = level_shrink(level, devices), level_cap(level, devices)
    shift = statistics.median(shifts) * shrink
    if cap is not None:
        shift = max(-cap, min(cap, shift))
    raw = math.exp(predict_log_latency(x, chipset, precision, runtime))
    band = level_error_pct(level, devices)
    if band is None or not calibrated:
        from registry.estimator.predict import load_params

        params = load_params()
        band = float(params["uncalibrated_error_pct"] if not calibrated else params["device"][chipset]["error_pct"])
    return Anchoring(
        latency_ms=round(raw * math.exp(shift), 4),
        unanchored_latency_ms=round(raw, 4),
        level=level,
        error_pct=band,
        log_shift=shift,
        anchors=tuple(chosen),
        shrink=shrink,
        cap=cap,
    )


def parse_anchor_option(text: str) -> tuple[str, float]:
    """``DEVICE=MS`` (``registry estimate --anchor sd8g3=4.2``) -> (device name, latency ms)."""
    from registry.errors import InvalidInput

    device, sep, value = text.rpartition("=")
    try:
        latency = float(value)
    except ValueError:
        latency = float("nan")
    if not sep or not device.strip() or not math.isfinite(latency) or latency <= 0:
        raise InvalidInput(
            f"Cannot read the anchor '{text}'.",
            hint="Give it as DEVICE=MS, a device name and the latency measured there in milliseconds: "
            "--anchor sd8g3=4.2",
        )
    return device.strip(), latency


def anchors_from_options(options: Sequence[str], precision: str, runtime: str) -> list[Anchor]:
    """``--anchor DEVICE=MS`` options as anchors of the given precision and runtime (what the user measured)."""
    from registry.devices import resolve_device_spec
    from registry.vocab import normalize_precision

    out = []
    for text in options:
        device, latency = parse_anchor_option(text)
        spec = resolve_device_spec(device)
        out.append(
            Anchor(
                chipset=spec.chipset,
                precision=normalize_precision(precision),
                runtime=runtime,
                component=None,
                latency_ms=latency,
                provenance=MEASURED_DEVICE,
                source=f"your measurement ({device}={latency:g} ms)",
            )
        )
    return out


def anchor_result(summary: Mapping[str, Any], result: dict[str, Any], anchors: Sequence[Anchor]) -> dict[str, Any]:
    """A ``predict.estimate_summary`` result re-derived from anchors (``registry estimate --anchor``): the latency
    and error band become the anchored ones; ``anchored`` says on what, ``unanchored_latency_ms`` keeps the
    estimator's own figure."""
    from registry.estimator.model import features
    from registry.vocab import normalize_precision

    anchoring = anchor_estimate(
        features(summary),
        result["chipset"],
        normalize_precision(result["precision"]),
        result["runtime"],
        None,
        anchors,
        calibrated=bool(result.get("calibrated", True)),
    )
    if anchoring is None:
        return result
    return {
        **result,
        "latency_ms": anchoring.latency_ms,
        "error_pct": anchoring.error_pct,
        "unanchored_latency_ms": anchoring.unanchored_latency_ms,
        "anchored": anchoring.to_json(),
    }
