"""The device catalog: chipsets, their sourced facts, and every name users type for them.

``load_device_specs`` and ``resolve_device_spec`` are plain package data (no database: ``specs``, ``lookup``);
``seed_devices``, ``resolve_device`` and ``list_devices`` work on the ``devices`` and ``device_names`` tables
(``catalog``), which is imported only when one of them is first used, so the estimator and the offline pull never
load SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry.devices.lookup import resolve_device_spec
from registry.devices.names import DeviceNameEntry, NameIndex, build_name_index
from registry.devices.specs import DeviceFact, DeviceSpec, load_device_specs
from registry.vocab import normalize_name

if TYPE_CHECKING:
    from registry.devices.catalog import list_devices, resolve_device, seed_devices

_IN_CATALOG = ("list_devices", "resolve_device", "seed_devices")


def __getattr__(name: str) -> Any:
    if name in _IN_CATALOG:
        from registry.devices import catalog

        return getattr(catalog, name)
    raise AttributeError(f"module 'registry.devices' has no attribute {name!r}")


__all__ = [
    "DeviceFact",
    "DeviceNameEntry",
    "DeviceSpec",
    "NameIndex",
    "build_name_index",
    "list_devices",
    "load_device_specs",
    "normalize_name",
    "resolve_device",
    "resolve_device_spec",
    "seed_devices",
]
