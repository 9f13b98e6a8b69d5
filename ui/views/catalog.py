"""Catalog: every model matching the filters, each with its best build for the chosen device."""

from __future__ import annotations

from typing import Any

import streamlit as st

from registry.vocab import PRECISIONS, RUNTIMES
from ui import api, nav
from ui.figures import NO_ACCURACY_RANDOM, accuracy_score, best_build, eval_badge, fmt_size, latency_badge
from ui.views.common import device_picker, empty_catalog

SORTS = {
    "": "fastest on the device first",
    "accuracy": "most accurate first",
    "name": "name",
    "size": "smallest download first",
}


ACCURACY_NOTE = (
    "Accuracy: the model's task metric on its dataset, as a percentage (float = the FP32 build's figure); none for "
    "random weights. Fidelity to FP32: how closely the build's outputs match the float build's (cosine, 1 = "
    "identical; SQNR in dB, higher = closer)."
)


def _clear() -> None:
    nav.go("catalog")


def render() -> None:
    st.title("Catalog")
    with st.spinner("Loading the catalog…"):
        everything = api.search()
    if not everything:
        empty_catalog()
        return
    st.caption(f"{len(everything)} models. Pick a device to see each model's best build for it.")

    with st.container(border=True):
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            text = nav.text("Search", "q", placeholder="name or description")
            dev = device_picker()
        with c2:
            task = nav.select("Task", "task", ["", *sorted({m.task for m in everything})])
            domain = nav.select("Domain", "domain", ["", *sorted({m.domain for m in everything})])
        with c3:
            precision = nav.select("Precision", "precision", ["", *PRECISIONS])
            runtime = nav.select("Runtime", "runtime", ["", *RUNTIMES])
            licence = nav.select("Licence", "license", ["", *sorted({m.license for m in everything})])
        with c4:
            max_latency = nav.number(
                "Max latency on the device (ms)",
                "max_latency",
                min_value=0.0,
                step=1.0,
                disabled=dev is None,
                help="Latency is per device: choose one first.",
            )
            min_accuracy = nav.number(
                "Min accuracy (%)",
                "min_accuracy",
                min_value=0.0,
                max_value=100.0,
                step=1.0,
                format="%.1f",
                help="On the task metric (the accuracy column) only, never on fidelity to FP32, and only on metrics "
                "read as a percentage (top-1, recall, retrieval accuracy); models with random weights have none.",
            )
            sort = nav.select("Sort by", "sort", list(SORTS), labels=SORTS)

    with st.spinner("Searching…"):
        found = api.search(
            text=text,
            task=task,
            domain=domain,
            device=dev.slug if dev else None,
            precision=precision,
            runtime=runtime,
            license=licence,
            max_latency_ms=max_latency if dev else None,
            min_accuracy=min_accuracy / 100.0 if min_accuracy is not None else None,
        )
        rows = [_row(m.slug, dev.chipset if dev else None, dev.slug if dev else "", precision, runtime) for m in found]

    if not rows:
        st.info("No model matches these filters. Loosen one of them, or clear them all.", icon=":material/search_off:")
        st.button("Clear filters", on_click=_clear)
        return
    rows.sort(key=_sort_key(sort))
    where = f"on {dev.marketing_name}" if dev else "on any device (host figures)"
    st.subheader(f"{len(rows)} of {len(everything)} models — best build {where}")
    st.dataframe(
        [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
        hide_index=True,
        width="stretch",
        column_config={"open": st.column_config.LinkColumn("open", display_text="open ↗")},
    )
    st.caption(ACCURACY_NOTE)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    names = {r["model"]: f"{r['name']} ({r['model']})" for r in rows}
    chosen = c1.selectbox("Open a model", list(names), format_func=names.__getitem__, key="open_model")
    c2.button(
        "Open model page",
        type="primary",
        on_click=nav.go,
        args=("model",),
        kwargs={"model": chosen, "device": dev.slug if dev else ""},
    )


def _row(slug: str, chipset: str | None, device_slug: str, precision: str, runtime: str) -> dict[str, Any]:
    detail = api.model(slug)
    m = detail.model
    best = best_build(detail.builds, chipset, precision=precision or None, runtime=runtime or None)
    build = best.build if best else None
    lat = best.latency if best else None
    acc = best.accuracy if best and m.weights != "random" else None
    return {
        "model": m.slug,
        "latency": latency_badge(lat),
        "accuracy": NO_ACCURACY_RANDOM if m.weights == "random" else eval_badge(acc),
        "fidelity to FP32": eval_badge(best.fidelity if best else None),
        "best build": f"{build.precision} · {build.runtime} · {build.target}" if build else "no build for it",
        "version": detail.version.version if detail.version else "—",
        "task": m.task,
        "domain": m.domain,
        "licence": m.license,
        "size": fmt_size(build.size) if build else "—",
        "name": m.name,
        "open": nav.link("model", model=m.slug, device=device_slug),
        "_latency": lat.latency_ms if lat and lat.latency_ms is not None else float("inf"),
        "_accuracy": accuracy_score(acc),
        "_size": build.size if build else float("inf"),
    }


def _sort_key(sort: str) -> Any:
    if sort == "accuracy":
        return lambda r: (-r["_accuracy"], r["model"])
    if sort == "name":
        return lambda r: r["name"].lower()
    if sort == "size":
        return lambda r: (r["_size"], r["model"])
    return lambda r: (r["_latency"], r["model"])
