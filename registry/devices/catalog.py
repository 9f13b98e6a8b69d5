"""The device catalog in the database: seeding it from package data, resolving any name to one device, listing.

Resolution is one indexed query (``device_names`` primary key joined to ``devices``); only a miss does more work,
to say what the user may have meant.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.devices.lookup import key_of, name_index, unresolved
from registry.devices.lookup import resolve_device_spec as resolve_device_spec  # its older home, still imported
from registry.devices.specs import load_device_specs
from registry.models import Device, DeviceName

# Phones first (most users), then laptops, cars, IoT boards and headsets; an unknown world sorts last.
WORLD_ORDER = ("Mobile", "Compute", "Automotive", "IoT", "XR")


def seed_devices(session: Session) -> int:
    """Insert or update every device and every name of it from package data; return the number of devices.

    Idempotent: a second run changes nothing. Names no longer in the data are deleted; devices no longer in the
    data are kept (builds and benchmarks may point at them). Only flushes; the caller owns the transaction.
    """
    specs = load_device_specs()
    devices = {row.chipset: row for row in session.scalars(select(Device))}
    for spec in specs:
        row = devices.get(spec.chipset) or Device(chipset=spec.chipset)
        row.slug, row.marketing_name, row.world = spec.slug, spec.marketing_name, spec.world
        row.soc_parts, row.form_factors = list(spec.soc_parts), list(spec.form_factors)
        row.npu_arch, row.facts = spec.npu_arch, spec.facts_json()
        session.add(row)
    session.flush()  # devices before the names that reference them

    stale = {row.key: row for row in session.scalars(select(DeviceName))}
    for key, entry in name_index(tuple(specs)).names.items():
        name_row = stale.pop(key, None) or DeviceName(key=key)
        name_row.chipset, name_row.display, name_row.kind = entry.chipset, entry.display, entry.kind
        session.add(name_row)
    for name_row in stale.values():
        session.delete(name_row)
    session.flush()
    return len(specs)


def resolve_device(session: Session, name: str) -> Device:
    """The one device meant by ``name``: a slug, chipset id, SoC part, marketing name or device name, in any case
    and with any punctuation. Raises ``DeviceNotFound`` (with the closest names) or ``InvalidInput`` (empty or
    ambiguous name)."""
    key = key_of(name)
    device = session.scalars(
        select(Device).join(DeviceName, DeviceName.chipset == Device.chipset).where(DeviceName.key == key)
    ).first()
    if device is None:
        rows = session.execute(
            select(DeviceName.key, DeviceName.display, Device.slug).join(Device, Device.chipset == DeviceName.chipset)
        ).all()
        raise unresolved(name, key, [(k, display, slug) for k, display, slug in rows])
    return device


def list_devices(session: Session) -> list[Device]:
    """Every device, by world (Mobile, Compute, Automotive, IoT, XR) and then by marketing name, numbers in
    numeric order ("Snapdragon 8 Gen 3" before "Snapdragon 845")."""
    return sorted(session.scalars(select(Device)), key=_list_order)


def _list_order(device: Device) -> tuple[int, str, list[str | int]]:
    world = WORLD_ORDER.index(device.world) if device.world in WORLD_ORDER else len(WORLD_ORDER)
    natural = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", device.marketing_name.casefold())]
    return (world, device.world, natural)
