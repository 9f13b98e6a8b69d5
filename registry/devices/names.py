"""Every name that resolves to a device, and how a name two chipsets claim is settled.

A name is stored by its ``normalize_name`` key. Names come in tiers, tried in this order:

1. the slug (``sd8g3``), 2. the chipset id (``qualcomm-snapdragon-8gen3``), 3. a SoC part (``sm8650``),
4. the marketing name as published ("Snapdragon 8 Gen 3 Mobile"), 5. a device name as published
("Samsung Galaxy S24"), 6. spellings derived from 4 and 5 (those of "(Proxy)" names last, so a proxy never
takes a spelling of the real chip): without "Mobile" or "Mobile Platform", with or without "Qualcomm", "SD"
for "Snapdragon", "Plus" for "+", without "(Proxy)", without a trailing "5G", and
without the maker's name when a product line follows ("Galaxy S24", "Pixel 4"; never "12 Pro").

A key taken in a higher tier keeps its chipset: a derived spelling never overrides a published name. A key that
two chipsets claim in the same tier is ambiguous: it resolves to neither (no guessing), it blocks the lower
tiers, and ``NameIndex.ambiguous`` keeps the claims so the error can name both chipsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from registry.devices.specs import DeviceSpec
from registry.vocab import normalize_name

_MOBILE_SUFFIX = re.compile(r"\s+mobile(\s+platform)?$", re.IGNORECASE)
_PROXY_SUFFIX = re.compile(r"\s*\(proxy\)$", re.IGNORECASE)
_QUALCOMM_PREFIX = re.compile(r"^qualcomm\s+", re.IGNORECASE)
_SNAPDRAGON_PREFIX = re.compile(r"^snapdragon\s+", re.IGNORECASE)
# Makers whose name users often leave out; only dropped when a product line follows ("Galaxy", "Pixel", "RB3").
_MAKERS = ("Samsung", "Google", "Xiaomi", "Dragonwing")


@dataclass(frozen=True)
class DeviceNameEntry:
    """One normalized name of one chipset; ``display`` is the spelling it came from."""

    key: str
    chipset: str
    display: str
    kind: str


@dataclass(frozen=True)
class NameIndex:
    names: dict[str, DeviceNameEntry] = field(default_factory=dict)
    # key -> one claim per chipset, for keys that resolve to no chipset because several claim them.
    ambiguous: dict[str, tuple[DeviceNameEntry, ...]] = field(default_factory=dict)


def marketing_variants(name: str) -> list[str]:
    """Spellings of a marketing name users type: "Snapdragon 8 Gen 3", "Qualcomm Snapdragon 8 Gen 3 Mobile
    Platform", "SD 8 Gen 3", "Snapdragon 865 Plus", "QCS8550" (for "Qualcomm QCS8550 (Proxy)")."""
    core = _QUALCOMM_PREFIX.sub("", _MOBILE_SUFFIX.sub("", _PROXY_SUFFIX.sub("", name.strip())))
    forms = [core]
    if _MOBILE_SUFFIX.search(name):
        forms += [f"{core} Mobile", f"{core} Mobile Platform"]
    forms += [f"Qualcomm {f}" for f in forms]
    if _SNAPDRAGON_PREFIX.match(core):
        forms.append(_SNAPDRAGON_PREFIX.sub("SD ", core))
    forms += [f.replace("+", " Plus") for f in forms if "+" in f]
    return _unique(forms)


def device_variants(name: str) -> list[str]:
    """Spellings of a device name users type: "Galaxy S22" for "Samsung Galaxy S22 5G", "XR2 Gen 2" for
    "XR2 Gen 2 (Proxy)", "Samsung Galaxy S24 Plus" for "Samsung Galaxy S24+"."""
    forms = [_PROXY_SUFFIX.sub("", name.strip())]
    forms += [f[: -len(" 5G")] for f in forms if f.endswith(" 5G")]
    for maker in _MAKERS:
        cut = len(maker) + 1
        forms += [f[cut:] for f in forms if f[:cut].lower() == f"{maker.lower()} " and f[cut:][:1].isalpha()]
    forms += [f.replace("+", " Plus") for f in forms if "+" in f]
    return _unique(forms)


def build_name_index(specs: Sequence[DeviceSpec]) -> NameIndex:
    """Every resolvable key of ``specs``, tier by tier (see the module docstring)."""
    tiers: list[list[tuple[str, Callable[[DeviceSpec], Iterable[str]]]]] = [
        [("slug", lambda s: [s.slug])],
        [("chipset", lambda s: [s.chipset])],
        [("soc", lambda s: s.soc_parts)],
        [("marketing", lambda s: [s.marketing_name])],
        [("device", lambda s: s.device_names)],
        [
            ("marketing", lambda s: _derived(s.marketing_name, marketing_variants, proxy=False)),
            ("device", lambda s: [v for d in s.device_names for v in _derived(d, device_variants, proxy=False)]),
        ],
        [
            ("marketing", lambda s: _derived(s.marketing_name, marketing_variants, proxy=True)),
            ("device", lambda s: [v for d in s.device_names for v in _derived(d, device_variants, proxy=True)]),
        ],
    ]
    index = NameIndex()
    for tier in tiers:
        claims: dict[str, dict[str, DeviceNameEntry]] = {}
        for kind, names_of in tier:
            for spec in specs:
                for name in names_of(spec):
                    key = normalize_name(name)
                    if key and key not in index.names and key not in index.ambiguous:
                        entry = DeviceNameEntry(key, spec.chipset, name, kind)
                        claims.setdefault(key, {}).setdefault(spec.chipset, entry)
        for key, by_chipset in claims.items():
            if len(by_chipset) == 1:
                index.names[key] = next(iter(by_chipset.values()))
            else:
                index.ambiguous[key] = tuple(by_chipset.values())
    return index


def _derived(name: str, variants: Callable[[str], list[str]], *, proxy: bool) -> list[str]:
    """The derived spellings of ``name`` if it is (``proxy``) or is not a "(Proxy)" name, else none."""
    return variants(name) if bool(_PROXY_SUFFIX.search(name)) == proxy else []


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
