"""The device catalog: chipsets, their sourced facts, and every name users type for them.

``load_device_specs`` is plain package data (no database); ``seed_devices``, ``resolve_device`` and
``list_devices`` work on the ``devices`` and ``device_names`` tables.
"""

from registry.devices.catalog import list_devices, resolve_device, resolve_device_spec, seed_devices
from registry.devices.names import DeviceNameEntry, NameIndex, build_name_index
from registry.devices.specs import DeviceFact, DeviceSpec, load_device_specs
from registry.vocab import normalize_name

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
