"""The device catalog as plain data: one frozen ``DeviceSpec`` per chipset, read from the package's CSV files.

No database here, so code that only needs the facts (an estimator, a report) can use it directly. The CSV files
in ``registry/devices/data`` are described in ``data/README.md``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_DATA_PACKAGE = "registry.devices.data"
# AI Hub Models' own display names for its form factors (devices_and_chipsets.yaml, ``form_factors``).
_FORM_FACTOR_DISPLAY = {"Auto": "Automotive"}


@dataclass(frozen=True)
class DeviceFact:
    """One public figure about a chipset, with where it was published."""

    name: str
    value: str | int
    source: str
    unit: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "source": self.source}
        if self.unit:
            out["unit"] = self.unit
        return out


@dataclass(frozen=True)
class DeviceSpec:
    """A target chipset: its ids, the names people use for it, its form factors and its sourced facts."""

    chipset: str
    slug: str
    marketing_name: str
    soc_parts: tuple[str, ...]
    world: str
    form_factors: tuple[str, ...]
    device_names: tuple[str, ...]
    facts: tuple[DeviceFact, ...] = ()

    def fact(self, name: str) -> DeviceFact | None:
        return next((f for f in self.facts if f.name == name), None)

    @property
    def npu_arch(self) -> str | None:
        """The Hexagon NPU (HTP) architecture, e.g. ``V75``, when a public source gives it."""
        found = self.fact("npu_arch")
        return str(found.value) if found else None

    def facts_json(self) -> dict[str, dict[str, Any]]:
        """The ``Device.facts`` column: ``{"npu_arch": {"value": "V75", "source": "..."}, ...}``."""
        return {f.name: f.to_json() for f in self.facts}


def load_device_specs() -> list[DeviceSpec]:
    """Every chipset of the catalog, in the order of the chipset table. Reads package data only, once."""
    return list(_load_specs())


@cache
def _load_specs() -> tuple[DeviceSpec, ...]:
    chipsets = _read_csv("chipsets.csv")
    slugs = {r["chipset"]: r["slug"] for r in _read_csv("slugs.csv")}
    devices: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _read_csv("devices.csv"):
        devices[row["chipset"]].append(row)
    facts: dict[str, list[DeviceFact]] = defaultdict(list)
    for row in _read_csv("facts.csv"):
        facts[row["chipset"]].append(_fact(row))

    known = {r["chipset"] for r in chipsets}
    for table, ids in (("slugs.csv", slugs), ("devices.csv", devices), ("facts.csv", facts)):
        if stray := sorted(set(ids) - known):
            raise ValueError(f"registry/devices/data/{table} names chipsets missing from chipsets.csv: {stray}")
    if missing := sorted(known - set(slugs)):
        raise ValueError(f"registry/devices/data/slugs.csv has no slug for: {missing}")
    if len(set(slugs.values())) != len(slugs):
        raise ValueError("registry/devices/data/slugs.csv gives two chipsets the same slug")

    return tuple(
        DeviceSpec(
            chipset=r["chipset"],
            slug=slugs[r["chipset"]],
            marketing_name=r["marketing_name"],
            soc_parts=tuple(p for p in r["aliases"].split(";") if p),
            world=r["world"],
            form_factors=tuple(
                sorted({_FORM_FACTOR_DISPLAY.get(d["form_factor"], d["form_factor"]) for d in devices[r["chipset"]]})
            ),
            device_names=tuple(d["device_name"] for d in devices[r["chipset"]]),
            facts=tuple(facts[r["chipset"]]),
        )
        for r in chipsets
    )


def _fact(row: dict[str, str]) -> DeviceFact:
    if not row["source"].strip():
        raise ValueError(f"registry/devices/data/facts.csv: {row['chipset']} {row['fact']} has no source")
    value: str | int = int(row["value"]) if row["value"].isdigit() else row["value"]
    return DeviceFact(name=row["fact"], value=value, source=row["source"], unit=row["unit"])


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files(_DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))
