"""Device names resolved without a database: the package's device specs and the name index built from them.

The estimator, the offline pull and ingest's device options resolve names here (no SQLAlchemy import); the
catalog's ``resolve_device`` resolves them against the ``device_names`` table with the same keys and errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from functools import cache

from registry.devices.names import NameIndex, build_name_index
from registry.devices.specs import DeviceSpec, load_device_specs
from registry.errors import DeviceNotFound, InvalidInput, RegistryError
from registry.vocab import normalize_name

MAX_SUGGESTIONS = 5
MAX_KEY = 120  # DeviceName.key length: a longer input cannot be a name, so it gets no suggestions either.
LIST_HINT = "`registry devices` lists them all."


def resolve_device_spec(name: str) -> DeviceSpec:
    """``resolve_device`` without a database: the package's ``DeviceSpec`` meant by ``name``."""
    key = key_of(name)
    specs = load_device_specs()
    index = name_index(tuple(specs))
    by_chipset = {s.chipset: s for s in specs}
    if (entry := index.names.get(key)) is not None:
        return by_chipset[entry.chipset]
    raise unresolved(name, key, [(k, e.display, by_chipset[e.chipset].slug) for k, e in index.names.items()])


def key_of(name: str) -> str:
    key = normalize_name(name or "")
    if not key:
        raise InvalidInput(
            f"'{shown(name or '')}' is not a device name.",
            hint=f"Give a slug, SoC part, chipset or device name, e.g. sd8g3 or 'Samsung Galaxy S24'. {LIST_HINT}",
        )
    return key


def unresolved(name: str, key: str, names: Sequence[tuple[str, str, str]]) -> RegistryError:
    """The error for a name that resolves to nothing: ambiguous, or unknown with the closest names."""
    specs = load_device_specs()
    claims = name_index(tuple(specs)).ambiguous.get(key)
    if claims:
        slugs = {s.chipset: s.slug for s in specs}
        meant = ", ".join(f"{s.marketing_name} ({s.slug})" for s in specs if s.chipset in {c.chipset for c in claims})
        return InvalidInput(
            f"'{shown(name)}' is ambiguous: it names more than one device: {meant}.",
            hint=f"Use the slug of the one you mean: {', '.join(slugs[c.chipset] for c in claims)}.",
        )
    close = closest(key, names) if len(key) <= MAX_KEY else []
    hint = (f"Closest matches: {', '.join(close)}. " if close else "") + LIST_HINT
    return DeviceNotFound(f"Unknown device '{shown(name)}'.", hint=hint)


def closest(key: str, names: Iterable[tuple[str, str, str]]) -> list[str]:
    """Up to five devices whose names (slugs included) are closest to ``key``, one entry per device."""
    label = {k: display if normalize_name(display) == slug else f"{display} ({slug})" for k, display, slug in names}
    device_of = {k: slug for k, _, slug in names}
    shown: dict[str, str] = {}
    for match in difflib.get_close_matches(key, list(label), n=len(label), cutoff=0.6):
        shown.setdefault(device_of[match], label[match])
        if len(shown) == MAX_SUGGESTIONS:
            break
    return list(shown.values())


@cache
def name_index(specs: tuple[DeviceSpec, ...]) -> NameIndex:
    return build_name_index(specs)


def shown(name: str) -> str:
    return name if len(name) <= 80 else f"{name[:77]}..."
