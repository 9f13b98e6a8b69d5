"""Compare: latency against accuracy on one device (with the Pareto front), model x device, float/INT8/INT4."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from registry.entities import BenchmarkInfo, DeviceInfo, ModelDetail
from registry.vocab import ESTIMATED, MEASURED_DEVICE, MEASURED_HOST
from ui import api, nav
from ui.figures import (
    best_build,
    chart_value,
    eval_value,
    evaluation_of,
    fastest_per_device,
    fmt_ms,
    latency_badge,
    latency_on,
    pareto_front,
    scale_of,
    usable_on,
)
from ui.views.common import device_picker, empty_catalog

PRECISION_COLUMNS = {"float": "float", "w8a8": "INT8 (w8a8)", "w4a16": "INT4 (w4a16)"}
HEATMAP_DEVICES = 8  # columns shown at first; the selector adds the others


def render() -> None:
    st.title("Compare")
    with st.spinner("Loading every model's builds…"):
        models = api.search()
        if not models:
            empty_catalog()
            return
        c1, c2 = st.columns(2)
        with c1:
            dev = device_picker("Device", allow_any=False)
        with c2:
            task = nav.select("Task", "task", ["", *sorted({m.task for m in models})])
        details = [api.model(m.slug) for m in models if not task or m.task == task]
    if dev is None:
        st.info("No devices in the catalog.")
        return
    _scatter(details, dev)
    _heatmap(details, dev)
    _precisions(details, dev)


def _scatter(details: list[ModelDetail], dev: DeviceInfo) -> None:
    """One chart and one Pareto front per (task, metric): accuracies of different metrics never share an axis."""
    st.subheader(f"Latency vs accuracy on {dev.marketing_name}")
    points = _points(details, dev)
    if not points:
        st.info(
            "No build here has both a latency figure for this device and an accuracy evaluation. Pick another device.",
            icon=":material/query_stats:",
        )
        return
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for p in points:
        groups.setdefault((p["task"], p["metric"], p["scale"]), []).append(p)
    for (task, metric, scale), group in sorted(groups.items()):
        st.markdown(f"**{task}** · accuracy = {metric} ({scale})")
        _front_chart(group)


def _points(details: list[ModelDetail], dev: DeviceInfo) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    for d in details:
        for b in d.builds:
            lat, acc = latency_on(b, dev.chipset), evaluation_of(b, "accuracy")
            if not usable_on(b, dev.chipset) or lat is None or lat.latency_ms is None or acc is None:
                continue
            if d.model.weights == "random" or not acc.higher_is_better:
                continue  # random weights have no accuracy; the front assumes higher is better
            points.append(
                {
                    "model": d.model.slug,
                    "build": f"{d.model.slug} {b.precision} · {b.runtime}",
                    "latency_ms": lat.latency_ms,
                    "accuracy": chart_value(acc.value, acc.unit),
                    "shown": eval_value(acc.value, acc.unit),
                    "metric": f"{acc.metric} on {acc.dataset}",
                    "scale": scale_of(acc.unit),
                    "task": d.model.task,
                    "provenance": lat.provenance,
                    "latency": latency_badge(lat),
                }
            )
    return points


def _front_chart(points: list[dict[str, Any]]) -> None:
    front = pareto_front([(p["latency_ms"], p["accuracy"]) for p in points])
    for i, p in enumerate(points):
        p["pareto"] = i in front
    base = alt.Chart(pd.DataFrame(points))
    dots = base.mark_point(filled=True, size=90).encode(
        x=alt.X("latency_ms:Q", title="latency (ms)", scale=alt.Scale(zero=False)),
        y=alt.Y("accuracy:Q", title=f"{points[0]['metric']} ({points[0]['scale']})", scale=alt.Scale(zero=False)),
        color=alt.Color("model:N", scale=alt.Scale(scheme="category10")),
        shape=alt.Shape("provenance:N"),
        tooltip=["build:N", "latency:N", alt.Tooltip("shown:N", title="accuracy"), "metric:N"],
    )
    line = (
        alt.Chart(pd.DataFrame([points[i] for i in front]))
        .mark_line(interpolate="step-after", color="gray", strokeDash=[4, 3])
        .encode(x="latency_ms:Q", y="accuracy:Q")
    )
    st.altair_chart(line + dots, width="stretch")
    st.caption("Dashed: the Pareto front (no other build of this task and metric is both faster and more accurate).")
    st.dataframe(
        [
            {
                "Pareto front": points[i]["build"],
                "latency": points[i]["latency"],
                "accuracy": points[i]["shown"],
                "metric": points[i]["metric"],
            }
            for i in front
        ],
        hide_index=True,
        width="stretch",
    )


def _heatmap(details: list[ModelDetail], dev: DeviceInfo) -> None:
    st.subheader("Model x device: fastest build's latency")
    cells: list[dict[str, Any]] = []
    for d in details:
        for column, x in fastest_per_device(d.builds).items():
            assert x.latency_ms is not None
            text = ("~" if x.provenance == ESTIMATED else "") + fmt_ms(x.latency_ms)
            cells.append(
                {
                    "model": d.model.slug,
                    "device": column,
                    "latency_ms": x.latency_ms,
                    "label": text,
                    "figure": latency_badge(x),
                }
            )
    if not cells:
        st.info("No latency figures yet.", icon=":material/query_stats:")
        return
    columns = sorted({c["device"] for c in cells}, key=lambda c: (c != dev.slug, c != "host CPU", c))
    shown = _heatmap_columns(columns)
    if len(columns) > len(shown):
        st.caption(f"{len(shown)} of {len(columns)} devices shown: pick a family or add others above.")
    cells = [c for c in cells if c["device"] in shown]
    if not cells:
        return
    frame = pd.DataFrame(cells)
    middle = float(frame["latency_ms"].median())
    base = alt.Chart(frame).encode(
        x=alt.X("device:N", title=None, sort=shown, axis=alt.Axis(labelAngle=-30, orient="top")),
        y=alt.Y("model:N", title=None),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("latency_ms:Q", scale=alt.Scale(type="log", scheme="viridis", reverse=True), title="ms"),
        tooltip=["model:N", "device:N", "figure:N"],
    )
    # Dark text on the light (fast) cells, light text on the dark (slow) ones.
    label = base.mark_text().encode(
        text="label:N", color=alt.condition(alt.datum.latency_ms > middle, alt.value("white"), alt.value("black"))
    )
    height = 44 * frame["model"].nunique() + 30
    st.altair_chart((rect + label).properties(height=height), width="stretch")
    st.caption("'~' marks an estimate; hover a cell for its provenance and error.")


def _heatmap_columns(columns: list[str]) -> list[str]:
    """The heatmap's devices: a family of devices (Mobile, IoT, Automotive, ...) with the host, or a hand-picked
    few (the page's device and the host first): never all 29 in one unreadable row."""
    world = {d.slug: d.world or "Other" for d in api.devices()}
    families: dict[str, int] = {}
    for c in columns:
        if c in world:
            families[world[c]] = families.get(world[c], 0) + 1
    labels = {"": "picked below", **{f: f"{f} ({n} devices)" for f, n in sorted(families.items())}}
    family = nav.select("Heatmap devices", "family", list(labels), labels=labels)
    if family:
        return [c for c in columns if c not in world or world[c] == family]
    return st.multiselect(
        "Devices in the heatmap",
        columns,
        default=columns if len(columns) <= HEATMAP_DEVICES else columns[:HEATMAP_DEVICES],
        key="heatmap_devices",
        help="Every device with a figure can be added; a few at a time keep the labels readable.",
    )


def _precisions(details: list[ModelDetail], dev: DeviceInfo) -> None:
    st.subheader(f"float, INT8 and INT4 side by side on {dev.marketing_name}")
    rows: list[dict[str, Any]] = []
    bars: list[dict[str, Any]] = []
    for d in details:
        row: dict[str, Any] = {"model": d.model.slug}
        for precision, title in PRECISION_COLUMNS.items():
            best = best_build(d.builds, dev.chipset, precision=precision)
            if best is None:
                row[title] = "no build"
                continue
            acc = (best.accuracy if d.model.weights != "random" else None) or best.fidelity
            kind = "fidelity " if acc is not None and acc.kind == "fidelity" else ""
            quality = f" · {kind}{acc.metric} {eval_value(acc.value, acc.unit)}" if acc else ""
            row[title] = latency_badge(best.latency) + quality
            if best.latency and best.latency.latency_ms is not None:
                bars.append(
                    {
                        "model": d.model.slug,
                        "precision": title,
                        "latency_ms": best.latency.latency_ms,
                        "figure": latency_badge(best.latency),
                        "kind": _short(best.latency),
                    }
                )
        rows.append(row)
    st.dataframe(rows, hide_index=True, width="stretch")
    if bars:
        order = list(PRECISION_COLUMNS.values())
        base = alt.Chart(pd.DataFrame(bars)).encode(
            x=alt.X("model:N", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("precision:N", sort=order),
            y=alt.Y("latency_ms:Q", title="latency (ms)"),
            tooltip=["model:N", "precision:N", "figure:N"],
        )
        bars_mark = base.mark_bar().encode(color=alt.Color("precision:N", sort=order))
        # Each bar names its provenance: figures of different provenance are never blended into one look.
        where = base.mark_text(dy=-7, fontSize=10).encode(text="kind:N")
        st.altair_chart(bars_mark + where, width="stretch")
        st.caption(
            "Above each bar: device = measured on the device, est = estimated (± its error), host = this host's CPU."
        )


def _short(bench: BenchmarkInfo) -> str:
    if bench.provenance == ESTIMATED:
        return f"est ±{bench.error_pct:g}%" if bench.error_pct is not None else "est"
    return {MEASURED_DEVICE: "device", MEASURED_HOST: "host"}.get(bench.provenance, bench.provenance)
