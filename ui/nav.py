"""Deep links: every view's state lives in the URL's query parameters (``?page=model&model=yolov8&device=sd8g3``).

A widget bound to a parameter takes its value from the URL and writes it back when the user changes it, so
any view can be bookmarked, shared or reloaded as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

PAGES = {"catalog": "Catalog", "model": "Model", "compare": "Compare", "devices": "Devices"}


def param(name: str, default: str = "") -> str:
    value = st.query_params.get(name)
    return str(value) if value not in (None, "") else default


def float_param(name: str) -> float | None:
    try:
        return float(param(name)) if param(name) else None
    except ValueError:
        return None


def set_param(name: str, value: Any) -> None:
    if value is None or value == "":
        if name in st.query_params:
            del st.query_params[name]
    else:
        st.query_params[name] = str(value)


def _sync(name: str) -> None:
    set_param(name, st.session_state[f"qp_{name}"])


def go(page: str, **params: Any) -> None:
    """Switch view (a button callback): keeps ``device``, replaces the rest of the query parameters."""
    keep = {"device": param("device")}
    for key in list(st.query_params):
        del st.query_params[key]
    new = {k: v for k, v in {"page": page, **keep, **params}.items() if v not in (None, "")}
    for key, value in new.items():
        set_param(key, value)
    # Set (not just forget) every bound widget, so the browser shows the new URL's values too.
    for key in [str(k) for k in st.session_state if str(k).startswith("qp_")]:
        old = st.session_state[key]
        blank = None if old is None or isinstance(old, float | int) else ""
        st.session_state[key] = new.get(key[3:], blank)


def select(label: str, name: str, options: Sequence[str], *, labels: dict[str, str] | None = None, **kw: Any) -> str:
    """A selectbox bound to query parameter ``name``; ``""`` in ``options`` means "any"."""
    current = param(name)
    opts = list(options)
    if current and current not in opts:
        opts.append(current)
    names = labels or {}
    value = st.selectbox(
        label,
        opts,
        index=opts.index(current) if current in opts else 0,
        format_func=lambda o: names.get(o, o or "any"),
        key=f"qp_{name}",
        on_change=_sync,
        args=(name,),
        **kw,
    )
    return str(value or "")


def text(label: str, name: str, **kw: Any) -> str:
    value = st.text_input(label, value=param(name), key=f"qp_{name}", on_change=_sync, args=(name,), **kw)
    return str(value or "").strip()


def number(label: str, name: str, **kw: Any) -> float | None:
    value = st.number_input(label, value=float_param(name), key=f"qp_{name}", on_change=_sync, args=(name,), **kw)
    return None if value is None else float(value)


def link(page: str, **params: Any) -> str:
    """A relative deep link to a view."""
    from urllib.parse import urlencode

    query = {"page": page, **{k: v for k, v in params.items() if v not in (None, "")}}
    return "?" + urlencode(query)
