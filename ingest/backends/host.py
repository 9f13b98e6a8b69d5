"""The local backend: builds made and profiled on this host only (``measured-host``, by the pipeline's stages).

It makes no device build and measures no device: per-device figures come from the estimator.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.backends.base import DeviceBuild, DeviceRequest


class HostBackend:
    name = "local"

    def preflight(self, devices: Sequence[str]) -> None:
        return None

    def device_builds(self, request: DeviceRequest) -> list[DeviceBuild]:
        return []
