"""Device specs from package data (copied from Qualcomm AI Hub Models' public device list), seeding into
the database, and name resolution: one primary-key lookup on the hot path."""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import DeviceNotFound, InvalidInput
from registry.models import Device, DeviceName
from registry.vocab import normalize_name

_WORLD_ORDER = {"Mobile": 0, "Compute": 1, "Automotive": 2, "IoT": 3, "XR": 4}
_FORM_FACTOR = {"Auto": "Automotive"}


@dataclass(frozen=True)
class DeviceSpec:
    chipset: str
    slug: str
    marketing_name: str
    soc_parts: tuple[str, ...]
    world: str
    form_factors: tuple[str, ...]
    device_names: tuple[str, ...]
    npu_arch: str | None = None
    facts: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def _marketing_variants(name: str) -> set[str]:
    base = re.sub(r"\s*\(proxy\)\s*$", "", name, flags=re.I)
    out = {name, base}
    for n in list(out):
        stripped = re.sub(r"\s+mobile( platform)?$", "", n, flags=re.I)
        out |= {stripped, re.sub(r"^qualcomm\s+", "", stripped, flags=re.I)}
        out |= {f"Qualcomm {x}" for x in list(out) if not x.lower().startswith("qualcomm")}
    return {v for v in out if v}


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("registry.devices.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def load_device_specs() -> tuple[DeviceSpec, ...]:
    """Every chipset with its slug, SoC parts, form factors, device names and known NPU architecture."""
    slugs = {r["chipset"]: r["slug"] for r in _read_csv("slugs.csv")}
    npu = {r["chipset"]: r for r in _read_csv("npu.csv")}
    devices: dict[str, list[dict[str, str]]] = {}
    for r in _read_csv("devices.csv"):
        devices.setdefault(r["chipset"], []).append(r)
    specs = []
    for r in _read_csv("chipsets.csv"):
        chipset = r["chipset"]
        rows = devices.get(chipset, [])
        arch = npu.get(chipset)
        facts: dict[str, Any] = {}
        if arch:
            facts["npu_arch"] = {"value": arch["npu_arch"], "source": arch["source"]}
        specs.append(
            DeviceSpec(
                chipset=chipset,
                slug=slugs[chipset],
                marketing_name=r["marketing_name"],
                soc_parts=tuple(a for a in r["aliases"].split(";") if a),
                world=r["world"],
                form_factors=tuple(sorted({_FORM_FACTOR.get(d["form_factor"], d["form_factor"]) for d in rows})),
                device_names=tuple(sorted({d["device_name"] for d in rows})),
                npu_arch=arch["npu_arch"] if arch else None,
                facts=facts,
            )
        )
    return tuple(specs)


def name_keys(specs: tuple[DeviceSpec, ...]) -> dict[str, tuple[str, str, str]]:
    """normalized key -> (chipset, display, kind). Kinds rank slug > chipset > soc > marketing > device: a key
    taken at a higher rank keeps its chipset. A key that two chipsets claim at the same rank is ambiguous and
    dropped (resolving it fails and suggests both)."""
    ranked: list[tuple[str, Callable[[DeviceSpec], list[str]]]] = [
        ("slug", lambda s: [s.slug]),
        ("chipset", lambda s: [s.chipset]),
        ("soc", lambda s: list(s.soc_parts)),
        ("marketing", lambda s: sorted(_marketing_variants(s.marketing_name))),
        ("device", lambda s: list(s.device_names)),
    ]
    entries: dict[str, tuple[str, str, str]] = {}
    blocked: set[str] = set()
    for kind, names in ranked:
        claims: dict[str, dict[str, str]] = {}
        for spec in specs:
            for name in names(spec):
                key = normalize_name(name)
                if key and key not in entries and key not in blocked:
                    claims.setdefault(key, {}).setdefault(spec.chipset, name)
        for key, by_chipset in claims.items():
            if len(by_chipset) == 1:
                chipset, display = next(iter(by_chipset.items()))
                entries[key] = (chipset, display, kind)
            else:
                blocked.add(key)
    return entries


def seed_devices(session: Session) -> int:
    """Insert or update every device and its names. Idempotent."""
    specs = load_device_specs()
    for spec in specs:
        row: Device = session.get(Device, spec.chipset) or Device(chipset=spec.chipset)
        row.slug, row.marketing_name = spec.slug, spec.marketing_name
        row.soc_parts, row.world, row.form_factors = list(spec.soc_parts), spec.world, list(spec.form_factors)
        row.npu_arch, row.facts = spec.npu_arch, dict(spec.facts)
        session.add(row)
    session.flush()
    wanted = name_keys(specs)
    existing = {r.key: r for r in session.scalars(select(DeviceName))}
    for key, (chipset, display, kind) in wanted.items():
        name_row = existing.get(key) or DeviceName(key=key)
        name_row.chipset, name_row.display, name_row.kind = chipset, display, kind
        session.add(name_row)
    for key, stale in existing.items():
        if key not in wanted:
            session.delete(stale)
    session.flush()
    return len(specs)


def resolve_device(session: Session, name: str) -> Device:
    """The one device a user means by ``name`` (slug, chipset, SoC part, marketing or device name)."""
    key = normalize_name(name or "")
    if not key:
        raise InvalidInput("Give a device name, e.g. sd8g3 or 'Samsung Galaxy S24'.")
    entry = session.get(DeviceName, key)
    if entry is not None:
        return session.get_one(Device, entry.chipset)
    names = {r.key: r.display for r in session.scalars(select(DeviceName))}
    close = difflib.get_close_matches(key, list(names), n=5, cutoff=0.6)
    shown = list(dict.fromkeys(names[k] for k in close))
    hint = (f"Closest matches: {', '.join(shown)}. " if shown else "") + "`registry devices` lists them all."
    raise DeviceNotFound(f"Unknown device '{name}'.", hint=hint)


def list_devices(session: Session) -> list[Device]:
    rows = list(session.scalars(select(Device)))
    return sorted(rows, key=lambda d: (_WORLD_ORDER.get(d.world, 9), d.marketing_name))
