"""The catalog UI: ``streamlit run ui/app.py`` with ``REGISTRY_URL`` pointing at ``registry serve``.

``registry ui`` starts it (and an API on the embedded catalog when no ``--api`` is given). One view per module
in ``ui/views``; the view and its state come from the query parameters, so every view is a deep link.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

if __package__ in (None, ""):  # run as a script by `streamlit run`: make `ui` and `registry` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.errors import RegistryError
from ui import api, nav
from ui.views import catalog, compare, devices, model

VIEWS = {"catalog": catalog.render, "model": model.render, "compare": compare.render, "devices": devices.render}


def _switch() -> None:
    nav.go(st.session_state["qp_page"])


def main() -> None:
    st.set_page_config(page_title="Edge Model Registry", page_icon=":material/inventory_2:", layout="wide")
    page = nav.param("page", "catalog")
    if page not in VIEWS:
        page = "catalog"
    with st.sidebar:
        st.markdown("### Edge Model Registry")
        st.radio(
            "View",
            list(nav.PAGES),
            index=list(nav.PAGES).index(page),
            format_func=nav.PAGES.__getitem__,
            key="qp_page",
            on_change=_switch,
        )
        st.caption(f"API: {api.api_url()}")
        st.caption("Every figure shows its provenance: measured-device, measured-host, estimated (± error), published.")
    try:
        VIEWS[page]()
    except RegistryError as exc:
        api.show_error(exc)


main()
