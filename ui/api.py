"""The UI's only way to the catalog: ``registry.Client`` over HTTP, with short-lived caches.

Every read goes through the SDK (never the database). Errors stay ``RegistryError``s; ``show_error`` turns
them into a message a person can act on.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import streamlit as st

from registry.client.sdk import Client
from registry.entities import BuildInfo, DeviceInfo, ModelDetail, ModelInfo
from registry.errors import RegistryError

DEFAULT_URL = "http://127.0.0.1:8000"
TTL = 15  # seconds: a fresh publish shows up after at most this long


def api_url() -> str:
    return (os.environ.get("REGISTRY_URL") or DEFAULT_URL).rstrip("/")


@st.cache_resource(show_spinner=False)
def _client(url: str) -> Client:
    return Client(url, timeout=10.0)


def client() -> Client:
    return _client(api_url())


@st.cache_data(ttl=TTL, show_spinner=False)
def _search(url: str, filters: tuple[tuple[str, Any], ...]) -> list[ModelInfo]:
    items: list[ModelInfo] = []
    cursor: str | None = None
    while True:
        page = _client(url).search(**dict(filters), limit=500, cursor=cursor)
        items.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            return items


def search(**filters: Any) -> list[ModelInfo]:
    """Every model matching the filters (all pages)."""
    clean = tuple(sorted((k, v) for k, v in filters.items() if v not in (None, "")))
    return _search(api_url(), clean)


@st.cache_data(ttl=TTL, show_spinner=False)
def _model(url: str, slug: str, version: str | None) -> ModelDetail:
    return _client(url).model(slug, version)


def model(slug: str, version: str | None = None) -> ModelDetail:
    return _model(api_url(), slug, version or None)


@st.cache_data(ttl=TTL, show_spinner=False)
def _devices(url: str) -> list[DeviceInfo]:
    return _client(url).devices()


def devices() -> list[DeviceInfo]:
    return _devices(api_url())


@st.cache_data(ttl=300, show_spinner=False)
def _device(url: str, name: str) -> DeviceInfo:
    return _client(url).device(name)


def device(name: str) -> DeviceInfo:
    """A device by any name people type (slug, SoC part, marketing or phone name)."""
    return _device(api_url(), name)


def build(build_id: int) -> BuildInfo:
    """One build with its download URLs (not cached: the URLs come from the server each time)."""
    return client().build(build_id)


def download(file_url: str, sha256: str) -> bytes:
    """The bytes of one file, streamed from the API's blob endpoint and checked against their sha256."""
    import httpx

    digest = hashlib.sha256()
    chunks: list[bytes] = []
    try:
        with client().http().stream("GET", file_url, follow_redirects=True) as response:
            if not response.is_success:
                raise RegistryError(
                    f"HTTP {response.status_code} downloading {file_url}.",
                    hint="Reload the page; if it persists, check the API's log.",
                )
            for chunk in response.iter_bytes():
                digest.update(chunk)
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise RegistryError(f"Download from {file_url} failed: {exc}", hint="Retry; check the API.") from exc
    if digest.hexdigest() != sha256:
        raise RegistryError(
            f"The bytes from {file_url} do not match sha256 {sha256}; not saving them.",
            hint="The stored blob may be corrupt: tell the registry's operator; `registry pull` verifies too.",
        )
    return b"".join(chunks)


def is_unreachable(exc: RegistryError) -> bool:
    import httpx

    return isinstance(exc.__cause__, httpx.TransportError)


def show_error(exc: RegistryError) -> None:
    """A clear message: the API URL and what to do when it is down; the service's message otherwise."""
    if is_unreachable(exc):
        st.error(f"Cannot reach the registry API at {api_url()}.", icon=":material/cloud_off:")
        st.info(
            "Start the service with `registry serve --port 8000`, or run `registry ui` (it starts the API on "
            "the embedded catalog for you). To use another server, set `REGISTRY_URL` or pass "
            "`registry ui --api URL`.",
        )
        with st.expander("Details"):
            st.code(exc.detail, language=None)
        return
    st.error(exc.detail)
    if exc.hint:
        st.caption(exc.hint)
