"""Model: the card, versions and aliases, every build's figures per device with provenance, downloads, snippets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import streamlit as st

from registry.entities import BenchmarkInfo, BuildInfo, DeviceInfo, ModelDetail
from registry.vocab import ACTIVE, ESTIMATED, PORTABLE_TARGET
from ui import api, nav
from ui.figures import (
    WEIGHTS_TEXT,
    accuracy_text,
    best_build,
    component_totals,
    compute_units_text,
    data_text,
    eval_badge,
    fmt_size,
    interface_text,
    latency_badge,
    latency_on,
    needs_text,
    pull_command,
    sdk_snippet,
    shapes_text,
    usable_on,
    where_label,
)
from ui.views.common import device_picker, empty_catalog

LARGE_BUILD = 512 * 1024 * 1024


def render() -> None:
    everything = api.search()
    if not everything:
        st.title("Model")
        empty_catalog()
        return
    names = {m.slug: f"{m.name} ({m.slug})" for m in everything}
    slug = nav.select("Model", "model", ["", *names], labels=names)
    if not slug:
        st.title("Model")
        st.info("Pick a model above, or open one from the Catalog.", icon=":material/arrow_upward:")
        return
    with st.spinner(f"Loading {slug}…"):
        latest = api.model(slug)
        versions = [v.version for v in latest.versions]
        labels = {
            v.version: v.version
            + (f" ({', '.join(v.aliases)})" if v.aliases else "")
            + (f" — {v.status}" if v.status != ACTIVE else "")
            for v in latest.versions
        }
        c1, c2 = st.columns(2)
        with c1:
            default = latest.version.version if latest.version else ""
            version = nav.select("Version", "version", ["", *versions], labels={"": f"latest ({default})", **labels})
        detail = api.model(slug, version) if version else latest
    with c2:
        dev = device_picker("Device (for the pull command and the best build)")
    _card(detail)
    if detail.version is None:
        st.info("This model has no version yet.")
        return
    if dev is not None:
        _device_pivot(detail, dev)
    _builds_table(detail)
    _downloads(detail, dev)
    _versions(detail)


def _card(detail: ModelDetail) -> None:
    m = detail.model
    st.title(m.name)
    st.markdown(f"`{m.slug}` · {m.task} · {m.domain} · licence **{m.license}**")
    if m.names:
        st.caption(
            "Also answers to: "
            + ", ".join(f"`{n}`" for n in m.names)
            + f" (`registry pull {m.names[0]} ...` gets {m.slug})"
        )
    if m.description:
        st.write(m.description)
    weights = WEIGHTS_TEXT.get(m.weights, m.weights)
    (st.warning if m.weights == "random" else st.success)(f"Weights: {weights}", icon=":material/balance:")
    if m.source_url:
        st.markdown(f"Source: [{m.source_url}]({m.source_url})")
    if m.card:
        with st.expander("Model card fields"):
            st.json(m.card)


def _versions(detail: ModelDetail) -> None:
    st.subheader("Versions")
    aliases = ", ".join(f"{a} → {v}" for a, v in sorted(detail.model.aliases.items())) or "none"
    st.caption(f"Aliases: {aliases}. `latest` is the highest active release that is not a prerelease.")
    rows = [
        {
            "version": v.version,
            "status": v.status + (f": {v.status_reason}" if v.status_reason else ""),
            "aliases": ", ".join(v.aliases),
            "builds": v.build_count,
            "published": v.created_at.strftime("%Y-%m-%d %H:%M") if v.created_at else "",
            "digest": v.content_digest[:12],
        }
        for v in detail.versions
    ]
    st.dataframe(rows, hide_index=True, width="stretch")


def _device_pivot(detail: ModelDetail, dev: DeviceInfo) -> None:
    """The chosen device first: one row per build that runs on it, its best figure there and the host's."""
    st.subheader(f"On {dev.marketing_name} ({dev.slug}): one row per build")
    rows = []
    for b in detail.builds:
        if not usable_on(b, dev.chipset):
            continue
        on_device = latency_on(b, dev.chipset)
        host = latency_on(b, None)
        rows.append(
            {
                "precision": b.precision,
                "runtime": b.runtime,
                "target": b.target,
                f"latency on {dev.slug}": latency_badge(on_device) if on_device and on_device.device else "—",
                "host CPU": latency_badge(host),
                "accuracy": accuracy_text(b.evaluations, detail.model.weights),
                "fidelity to FP32": "; ".join(
                    eval_badge(e) for e in b.evaluations if e.kind == "fidelity" and e.component is None
                )
                or "—",
                "size": fmt_size(b.size),
            }
        )
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.info(f"No build of this version runs on {dev.marketing_name}.")


def _uncalibrated(bench: BenchmarkInfo) -> bool:
    return bench.provenance == ESTIMATED and bench.details.get("calibrated_device") is False


def _builds_table(detail: ModelDetail) -> None:
    assert detail.version is not None
    st.subheader(f"Builds of {detail.version.version}: every figure, device x precision")
    rows: list[dict[str, Any]] = []
    prior: list[dict[str, Any]] = []
    for b in detail.builds:
        accuracy = accuracy_text(b.evaluations, detail.model.weights)
        fidelity = "; ".join(eval_badge(e) for e in b.evaluations if e.kind == "fidelity" and e.component is None)
        benches: list[BenchmarkInfo] = [x for x in b.benchmarks if x.component is None]
        if not benches:  # figures per component only (encoder + decoder, ...): their totals, on the host and devices
            devices = sorted({x.device for x in b.benchmarks if x.device})
            benches = [*component_totals(b, None)]
            benches += [t for d in devices for t in component_totals(b, d) if t.device == d]
        shown: list[BenchmarkInfo | None] = [*benches] or [None]
        for x in shown:
            (prior if x is not None and _uncalibrated(x) else rows).append(
                {
                    "device": where_label(x) if x else "—",
                    "precision": b.precision,
                    "runtime": b.runtime,
                    "target": b.target,
                    "latency": latency_badge(x),
                    "memory": f"{x.peak_memory_mb:.1f} MB" if x and x.peak_memory_mb is not None else "—",
                    "compute units": compute_units_text(x.compute_units) if x else "—",
                    "accuracy": accuracy,
                    "fidelity to FP32": fidelity or "—",
                    "source": x.source if x else "",
                    "measured at": shapes_text(x.details) if x else "",
                    "data": data_text(b),
                    "size": fmt_size(b.size),
                }
            )
    if not rows and not prior:
        st.info("No builds in this version.")
        return
    st.dataframe(rows, hide_index=True, width="stretch")
    if prior:
        chips = sorted({r["device"] for r in prior})
        with st.expander(f"{len(prior)} estimate(s) for {len(chips)} chipset(s) the estimator is not calibrated on"):
            st.caption(
                "No published measurement of these chipsets was available to fit the estimator, so their figures "
                "come from its prior for similar NPUs, with a wide error: " + ", ".join(chips) + "."
            )
            st.dataframe(prior, hide_index=True, width="stretch")


def _downloads(detail: ModelDetail, dev: DeviceInfo | None) -> None:
    assert detail.version is not None
    slug, version = detail.model.slug, detail.version.version
    st.subheader("Download")
    best = best_build(detail.builds, dev.chipset if dev else None)
    if dev and best:
        st.markdown(
            f"Best build on **{dev.marketing_name}**: `{best.build.precision} · {best.build.runtime}` — "
            f"{latency_badge(best.latency)}"
        )
    for b in detail.builds:
        device = dev.slug if dev else b.target
        with st.container(border=True):
            st.markdown(f"**{b.precision} · {b.runtime} · {b.target}** — {fmt_size(b.size)}, {len(b.files)} file(s)")
            io = interface_text(b)
            st.caption(f"Loads on: {needs_text(b)}" + (f"  \nInterface: `{io}`" if io else ""))
            if b.size > LARGE_BUILD:
                st.caption(
                    "A large build: the button passes it through this page's memory; `registry pull` below "
                    "resumes, verifies and caches it instead."
                )
            cols = st.columns(max(len(b.files), 1))
            for col, f in zip(cols, b.files, strict=False):
                name = PurePosixPath(f.path).name
                col.download_button(
                    f"Download {name}" + (f" ({f.component})" if f.component else ""),
                    data=_fetcher(b.id, f.sha256),
                    file_name=name,
                    mime="application/octet-stream",
                    key=f"dl-{b.id}-{f.sha256[:12]}",
                    on_click="ignore",
                    help=f"sha256 {f.sha256}",
                )
            if dev or b.target != PORTABLE_TARGET:
                st.code(pull_command(slug, version, device, b), language="bash")
                with st.expander("Python SDK"):
                    st.code(sdk_snippet(api.api_url(), slug, version, device, b), language="python")
            else:
                st.caption("Pick a device above for the `registry pull` command.")


def _fetcher(build_id: int, sha256: str) -> Callable[[], bytes]:
    """Fetch the bytes only when the button is clicked, from the URL the API gives for the build's file."""

    def fetch() -> bytes:
        build: BuildInfo = api.build(build_id)
        f = next(f for f in build.files if f.sha256 == sha256)
        if not f.url:
            raise RuntimeError("The API gave no download URL for this file.")
        return api.download(f.url, sha256)

    return fetch
