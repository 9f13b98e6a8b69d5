"""Merge Qualcomm AI Hub's device list into the device catalog without losing our sourced facts.

AI Hub describes each device with attributes such as ``chipset:qualcomm-snapdragon-8gen3``, ``hexagon:v75``,
``htp-supports-fp16:true``, ``os:android``, ``framework:qnn``. The merge adds, per chipset we know:
``aihub_hexagon``, ``aihub_htp_fp16`` and ``aihub_devices`` facts (source: AI Hub's device list and the date),
``npu_arch`` only where no source gave one (a disagreement is reported, never overwritten), and the AI Hub
device names as names that resolve to the chipset. Chipsets we do not know are reported, not invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Device, DeviceName
from registry.vocab import normalize_name


@dataclass(frozen=True)
class HubDevice:
    name: str
    os: str
    attributes: tuple[str, ...]

    def attribute(self, prefix: str) -> str | None:
        return next((a.split(":", 1)[1] for a in self.attributes if a.startswith(prefix + ":")), None)


@dataclass
class SyncReport:
    updated: list[str] = field(default_factory=list)  # chipsets that gained or changed AI Hub facts
    names_added: list[str] = field(default_factory=list)
    unknown_chipsets: dict[str, list[str]] = field(default_factory=dict)  # chipset -> AI Hub device names
    conflicts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "updated": self.updated,
            "names_added": self.names_added,
            "unknown_chipsets": self.unknown_chipsets,
            "conflicts": self.conflicts,
        }


def merge_hub_devices(session: Session, devices: Sequence[HubDevice], source: str) -> SyncReport:
    """Merge ``devices`` (AI Hub's list) into the catalog; only flushes, the caller owns the transaction."""
    stamp = f"{source} ({datetime.now(UTC).date().isoformat()})"
    rows = {row.chipset: row for row in session.scalars(select(Device))}
    known_names = {row.key: row.chipset for row in session.scalars(select(DeviceName))}
    by_chipset: dict[str, list[HubDevice]] = {}
    for device in devices:
        chipset = device.attribute("chipset")
        if chipset:
            by_chipset.setdefault(chipset, []).append(device)
    report = SyncReport()
    for chipset, members in sorted(by_chipset.items()):
        row = rows.get(chipset)
        if row is None:
            report.unknown_chipsets[chipset] = sorted(d.name for d in members)
            continue
        facts = dict(row.facts or {})
        before = dict(facts)
        facts["aihub_devices"] = {"value": sorted({d.name for d in members}), "source": stamp}
        hexagon = next((h for d in members if (h := d.attribute("hexagon"))), None)
        if hexagon:
            facts["aihub_hexagon"] = {"value": f"hexagon:{hexagon}", "source": stamp}
            arch = hexagon.upper()
            if row.npu_arch is None:
                row.npu_arch = arch
                facts["npu_arch"] = {"value": arch, "source": stamp}
            elif row.npu_arch.upper() != arch:
                report.conflicts.append(f"{chipset}: catalog npu_arch {row.npu_arch} (kept), AI Hub says {arch}")
        fp16 = next((f for d in members if (f := d.attribute("htp-supports-fp16"))), None)
        if fp16 is not None:
            facts["aihub_htp_fp16"] = {"value": fp16.lower() == "true", "source": stamp}
        if _without_dates(facts) != _without_dates(before):
            report.updated.append(chipset)
        row.facts = facts
        for device in members:
            key = normalize_name(device.name)
            if key and key not in known_names:
                session.add(DeviceName(key=key, chipset=chipset, display=device.name, kind="device"))
                known_names[key] = chipset
                report.names_added.append(device.name)
            elif key and known_names[key] != chipset:
                report.conflicts.append(f"'{device.name}' names {known_names[key]} here, {chipset} on AI Hub (kept)")
    session.flush()
    return report


def _without_dates(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: v.get("value") if isinstance(v, dict) else v for k, v in facts.items()}


def fetch_hub_devices(client: Any) -> list[HubDevice]:
    """AI Hub's device list through a connected ``qai_hub.Client``."""
    return [HubDevice(d.name, d.os, tuple(d.attributes)) for d in client.get_devices()]
