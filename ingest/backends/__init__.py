"""Backends: where builds are compiled and profiled per device: ``local`` (this host) and ``qai-hub``."""

from __future__ import annotations

from pathlib import Path

from ingest.backends.base import Backend, DeviceBuild, DeviceRequest
from registry.errors import InvalidInput

__all__ = ["BACKENDS", "Backend", "DeviceBuild", "DeviceRequest", "get_backend"]

BACKENDS = ("local", "qai-hub")


def get_backend(name: str, *, work_dir: Path | None = None) -> Backend:
    """The backend called ``name``, or a clear error. ``qai-hub`` checks its token and API now (fails fast);
    its job store and downloads go under ``work_dir`` (the ingest work dir), so a re-run re-attaches."""
    key = (name or "").strip().lower()
    if key == "local":
        from ingest.backends.host import HostBackend

        return HostBackend()
    if key == "qai-hub":
        from ingest.backends.qaihub import make_backend

        return make_backend(work_dir=work_dir)
    raise InvalidInput(f"Unknown backend '{name}'.", hint=f"Available: {', '.join(BACKENDS)}.")
