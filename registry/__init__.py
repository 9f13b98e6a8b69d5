"""Edge Model Registry: versioned, per-device builds of edge AI models.

``from registry import Client`` is the Python SDK (imported lazily, so ``import registry`` stays cheap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "__version__"]

if TYPE_CHECKING:
    from registry.client.sdk import Client


def __getattr__(name: str) -> Any:
    if name == "Client":
        from registry.client.sdk import Client

        return Client
    raise AttributeError(f"module 'registry' has no attribute {name!r}")
