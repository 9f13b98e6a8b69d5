"""Backends: where builds are compiled and profiled per device. ``local`` today; ``qai-hub`` is coming."""

from __future__ import annotations

from ingest.backends.base import Backend, CompiledBuild
from registry.errors import InvalidInput

__all__ = ["BACKENDS", "Backend", "CompiledBuild", "get_backend"]

BACKENDS = ("local",)
COMING = ("qai-hub",)


def get_backend(name: str) -> Backend:
    """The backend called ``name``, or a clear error."""
    key = (name or "").strip().lower()
    if key == "local":
        from ingest.backends.local import LocalBackend

        return LocalBackend()
    if key in COMING:
        raise InvalidInput(
            f"The {key} backend is not available yet.",
            hint="Use --backend local for now (portable ONNX builds profiled on this host).",
        )
    raise InvalidInput(f"Unknown backend '{name}'.", hint=f"Available: {', '.join(BACKENDS)}.")
