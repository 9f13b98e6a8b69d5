"""The device catalog: chipsets, their facts, and every name users type for them."""

from registry.devices.catalog import (
    DeviceSpec,
    list_devices,
    load_device_specs,
    resolve_device,
    seed_devices,
)
from registry.vocab import normalize_name

__all__ = [
    "DeviceSpec",
    "list_devices",
    "load_device_specs",
    "normalize_name",
    "resolve_device",
    "seed_devices",
]
