"""The device catalog in the database: seeding it from package data, resolving any name to one device, listing.

Resolution is one indexed query (``device_names`` primary key joined to ``devices``); only a miss does more work,
to say what the user may have meant.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.devices.names import NameIndex, build_name_index
from registry.devices.specs import DeviceSpec, load_device_specs
from registry.errors import DeviceNotFound, InvalidInput, RegistryError
from registry.models import Device, DeviceName
from registry.vocab import normalize_name

# Phones first (most users), then laptops, cars, IoT boards and headsets; an unknown world sorts last.
WORLD_ORDER = ("Mobile", "Compute", "Automotive", "IoT", "XR")
_MAX_SUGGESTIONS = 5
_MAX_KEY = 120  # DeviceName.key length: a longer input cannot be a name, so it gets no suggestions either.
_LIST_HINT = "`registry devices` lists them all."


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
    for key, entry in _name_index(tuple(specs)).names.items():
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
    key = _key_of(name)
    device = session.scalars(
        select(Device).join(DeviceName, DeviceName.chipset == Device.chipset).where(DeviceName.key == key)
    ).first()
    if device is None:
        rows = session.execute(
            select(DeviceName.key, DeviceName.display, Device.slug).join(Device, Device.chipset == DeviceName.chipset)
        ).all()
        raise _unresolved(name, key, [(k, display, slug) for k, display, slug in rows])
    return device


def resolve_device_spec(name: str) -> DeviceSpec:
    """``resolve_device`` without a database: the package's ``DeviceSpec`` meant by ``name``."""
    key = _key_of(name)
    specs = load_device_specs()
    index = _name_index(tuple(specs))
    by_chipset = {s.chipset: s for s in specs}
    if (entry := index.names.get(key)) is not None:
        return by_chipset[entry.chipset]
    raise _unresolved(name, key, [(k, e.display, by_chipset[e.chipset].slug) for k, e in index.names.items()])


def list_devices(session: Session) -> list[Device]:
    """Every device, by world (Mobile, Compute, Automotive, IoT, XR) and then by marketing name, numbers in
    numeric order ("Snapdragon 8 Gen 3" before "Snapdragon 845")."""
    return sorted(session.scalars(select(Device)), key=_list_order)


def _key_of(name: str) -> str:
    key = normalize_name(name or "")
    if not key:
        raise InvalidInput(
            f"'{_shown(name or '')}' is not a device name.",
            hint=f"Give a slug, SoC part, chipset or device name, e.g. sd8g3 or 'Samsung Galaxy S24'. {_LIST_HINT}",
        )
    return key


def _unresolved(name: str, key: str, names: Sequence[tuple[str, str, str]]) -> RegistryError:
    """The error for a name that resolves to nothing: ambiguous, or unknown with the closest names."""
    specs = load_device_specs()
    claims = _name_index(tuple(specs)).ambiguous.get(key)
    if claims:
        slugs = {s.chipset: s.slug for s in specs}
        meant = ", ".join(f"{s.marketing_name} ({s.slug})" for s in specs if s.chipset in {c.chipset for c in claims})
        return InvalidInput(
            f"'{_shown(name)}' is ambiguous: it names more than one device: {meant}.",
            hint=f"Use the slug of the one you mean: {', '.join(slugs[c.chipset] for c in claims)}.",
        )
    close = _closest(key, names) if len(key) <= _MAX_KEY else []
    hint = (f"Closest matches: {', '.join(close)}. " if close else "") + _LIST_HINT
    return DeviceNotFound(f"Unknown device '{_shown(name)}'.", hint=hint)


def _closest(key: str, names: Iterable[tuple[str, str, str]]) -> list[str]:
    """Up to five devices whose names (slugs included) are closest to ``key``, one entry per device."""
    label = {k: display if normalize_name(display) == slug else f"{display} ({slug})" for k, display, slug in names}
    device_of = {k: slug for k, _, slug in names}
    shown: dict[str, str] = {}
    for match in difflib.get_close_matches(key, list(label), n=len(label), cutoff=0.6):
        shown.setdefault(device_of[match], label[match])
        if len(shown) == _MAX_SUGGESTIONS:
            break
    return list(shown.values())


@cache
def _name_index(specs: tuple[DeviceSpec, ...]) -> NameIndex:
    return build_name_index(specs)


def _list_order(device: Device) -> tuple[int, str, list[str | int]]:
    world = WORLD_ORDER.index(device.world) if device.world in WORLD_ORDER else len(WORLD_ORDER)
    natural = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", device.marketing_name.casefold())]
    return (world, device.world, natural)


def _shown(name: str) -> str:
    return name if len(name) <= 80 else f"{name[:77]}..."
