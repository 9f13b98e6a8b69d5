"""Devices: every SKU with its facts and how many builds run on it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from registry.entities import DeviceInfo
from ui import api, nav
from ui.figures import device_label


def _fact(d: DeviceInfo, name: str) -> str:
    fact = d.facts.get(name)
    if isinstance(fact, dict):
        return f"{fact.get('value', '')} {fact.get('unit') or ''}".strip()
    return "" if fact is None else str(fact)


def render() -> None:
    st.title("Devices")
    with st.spinner("Loading devices…"):
        devices = api.devices()
    if not devices:
        st.info("No devices in the catalog: `registry init` seeds them.", icon=":material/inbox:")
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    with c1:
        text = nav.text("Filter", "q", placeholder="name, slug, SoC part, form factor").lower()
    with c2:
        only = st.toggle(
            "Only devices with builds",
            value=nav.param("with_builds") == "1",
            key="with_builds",
            on_change=lambda: nav.set_param("with_builds", "1" if st.session_state["with_builds"] else ""),
        )
    shown = [
        d
        for d in devices
        if (not only or d.build_count)
        and (not text or text in " ".join([d.slug, d.chipset, d.marketing_name, *d.soc_parts, *d.form_factors]).lower())
    ]
    fact_names = sorted({k for d in devices for k in d.facts} - {"npu_arch"})
    st.caption(f"{len(shown)} of {len(devices)} devices. Build counts include the portable builds that run anywhere.")
    if not shown:
        st.info("No device matches this filter.", icon=":material/search_off:")
        return
    rows: list[dict[str, Any]] = []
    for d in sorted(shown, key=lambda d: (-(d.build_count or 0), d.marketing_name)):
        row: dict[str, Any] = {
            "device": d.marketing_name,
            "slug": d.slug,
            "chipset": d.chipset,
            "SoC parts": ", ".join(d.soc_parts),
            "world": d.world,
            "form factors": ", ".join(d.form_factors),
            "NPU": d.npu_arch or _fact(d, "npu_arch"),
            "builds": d.build_count or 0,
        }
        row.update({name: _fact(d, name) for name in fact_names})
        row["catalog"] = nav.link("catalog", device=d.slug)
        rows.append(row)
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={"catalog": st.column_config.LinkColumn("catalog", display_text="models ↗")},
    )
    by_slug = {d.slug: d for d in devices}
    slug = nav.select(
        "Device facts and sources", "device", ["", *by_slug], labels={d.slug: device_label(d) for d in devices}
    )
    if slug:
        _detail(by_slug[slug])


def _detail(d: DeviceInfo) -> None:
    st.subheader(device_label(d))
    st.markdown(
        f"`{d.chipset}` · SoC {', '.join(d.soc_parts) or '—'} · {', '.join(d.form_factors) or '—'} · "
        f"**{d.build_count or 0} builds**"
    )
    facts = [
        {"fact": k, "value": _fact(d, k), "source": v.get("source", "") if isinstance(v, dict) else ""}
        for k, v in sorted(d.facts.items())
    ]
    if facts:
        st.dataframe(facts, hide_index=True, width="stretch")
    else:
        st.caption("No sourced facts recorded for this chipset yet.")
    st.button("Show its models in the catalog", on_click=nav.go, args=("catalog",), kwargs={"device": d.slug})
