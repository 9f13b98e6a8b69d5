"""Names: normalization, the spellings derived from published names, and names two chipsets claim."""

from __future__ import annotations

import pytest

from registry.devices import DeviceSpec, build_name_index, load_device_specs, normalize_name
from registry.devices.names import device_variants, marketing_variants


@pytest.mark.parametrize(
    "text",
    ["Snapdragon® 8 Gen 3", "snapdragon 8 gen 3", "SNAPDRAGON-8-GEN-3", "  Snapdragon_8.Gen/3™ ", "snapdragon8gen3"],
)
def test_normalization_ignores_case_symbols_and_whitespace(text: str) -> None:
    assert normalize_name(text) == "snapdragon8gen3"


def test_plus_is_significant_because_it_names_another_chip() -> None:
    # Snapdragon 865 and 865+ are different SKUs (and so are a Galaxy S24 and an S24+).
    assert normalize_name("Snapdragon 865+") != normalize_name("Snapdragon 865")
    assert normalize_name("Samsung Galaxy S24+") == normalize_name("samsung galaxy s24 +")


def test_marketing_variants() -> None:
    forms = {normalize_name(v) for v in marketing_variants("Snapdragon 8 Gen 3 Mobile")}
    for typed in [
        "Snapdragon 8 Gen 3",
        "Snapdragon 8 Gen 3 Mobile",
        "Snapdragon 8 Gen 3 Mobile Platform",
        "Qualcomm Snapdragon 8 Gen 3",
        "Qualcomm® Snapdragon® 8 Gen 3 Mobile Platform",
        "SD 8 Gen 3",
    ]:
        assert normalize_name(typed) in forms, typed
    assert "Snapdragon 865 Plus" in marketing_variants("Snapdragon 865+ Mobile")
    assert set(marketing_variants("Qualcomm QCS8550 (Proxy)")) == {"QCS8550", "Qualcomm QCS8550"}
    assert set(marketing_variants("Snapdragon X Elite")) == {
        "Snapdragon X Elite",
        "Qualcomm Snapdragon X Elite",
        "SD X Elite",
    }


def test_device_variants() -> None:
    assert {"Galaxy S22 Ultra", "Samsung Galaxy S22 Ultra"} <= set(device_variants("Samsung Galaxy S22 Ultra 5G"))
    assert "Samsung Galaxy S24 Plus" in device_variants("Samsung Galaxy S24+")
    assert device_variants("XR2 Gen 2 (Proxy)") == ["XR2 Gen 2"]
    # The maker is only dropped when a product line follows: "12 Pro" alone names nothing.
    assert device_variants("Xiaomi 12 Pro") == ["Xiaomi 12 Pro"]


def _spec(chipset: str, slug: str, marketing: str, devices: tuple[str, ...], parts: tuple[str, ...] = ()) -> DeviceSpec:
    return DeviceSpec(chipset, slug, marketing, parts, "Mobile", ("Phone",), devices)


def test_a_name_two_chipsets_claim_resolves_to_neither_and_is_reported() -> None:
    specs = [
        _spec("vendor-chip-a", "chipa", "Chip A Mobile", ("Samsung Galaxy One", "Samsung Galaxy Duo")),
        _spec("vendor-chip-b", "chipb", "Chip B Mobile", ("Samsung Galaxy Two", "SAMSUNG galaxy-duo")),
    ]
    index = build_name_index(specs)
    for typed in ("Samsung Galaxy Duo", "Galaxy Duo"):  # the published name and its derived spelling
        key = normalize_name(typed)
        assert key not in index.names
        assert {e.chipset for e in index.ambiguous[key]} == {"vendor-chip-a", "vendor-chip-b"}
    assert index.names[normalize_name("Galaxy One")].chipset == "vendor-chip-a"


def test_a_published_name_beats_a_derived_spelling_of_another_chipset() -> None:
    specs = [
        _spec("vendor-x-proxy", "x-proxy", "Vendor X100 (Proxy)", ("X100 (Proxy)",)),
        _spec("vendor-x", "x100", "Vendor X100", ("X100 EVK",), parts=("x100",)),
    ]
    index = build_name_index(specs)
    # "X100" is a SoC part of the real chip and a derived spelling of the proxy's names: the part wins.
    assert index.names["x100"].chipset == "vendor-x" and index.names["x100"].kind == "slug"
    assert not index.ambiguous


def test_the_real_catalog_has_no_ambiguous_names_and_keeps_published_names() -> None:
    specs = load_device_specs()
    index = build_name_index(specs)
    assert not index.ambiguous
    assert index.names[normalize_name("Qualcomm QCS9075")].chipset == "qualcomm-qcs9075"
    assert index.names[normalize_name("QCS9075")].chipset == "qualcomm-qcs9075"
    assert index.names[normalize_name("QCS9075 (Proxy)")].chipset == "qualcomm-qcs9075-proxy"
    assert index.names[normalize_name("Snapdragon 8 Elite")].chipset == "qualcomm-snapdragon-8-elite"
    assert index.names[normalize_name("Samsung Galaxy S25")].chipset == "qualcomm-snapdragon-8-elite-for-galaxy"
    published = [(s.chipset, n) for s in specs for n in (s.slug, s.chipset, s.marketing_name, *s.soc_parts)]
    published += [(s.chipset, n) for s in specs for n in s.device_names]
    assert all(index.names[normalize_name(n)].chipset == chipset for chipset, n in published)
