"""Pieces more than one view uses: the device picker."""

from __future__ import annotations

import streamlit as st

from registry.entities import DeviceInfo
from ui import api, nav
from ui.figures import device_label


def device_picker(label: str = "Device", *, allow_any: bool = True, default: str = "") -> DeviceInfo | None:
    """A device select bound to ``?device=``; any name people type in the URL (``Samsung Galaxy S24``,
    ``sm8650``) is resolved to its slug first."""
    all_devices = api.devices()
    by_slug = {d.slug: d for d in all_devices}
    # Devices with builds first: those are the ones people compare.
    ordered = sorted(all_devices, key=lambda d: (-(d.build_count or 0), d.marketing_name))
    options = ([""] if allow_any else []) + [d.slug for d in ordered]
    wanted = nav.param("device")
    if wanted and wanted not in by_slug:
        wanted = api.device(wanted).slug
    if not wanted and not allow_any:
        wanted = default or (ordered[0].slug if ordered else "")
    if wanted != nav.param("device"):
        nav.set_param("device", wanted)
    labels = {d.slug: device_label(d) + (f" — {d.build_count} builds" if d.build_count else "") for d in ordered}
    slug = nav.select(label, "device", options, labels=labels)
    return by_slug.get(slug)


def empty_catalog() -> None:
    st.info(
        "The catalog is empty. Publish a model with `registry publish DIR` (see docs/examples/hello).",
        icon=":material/inbox:",
    )
