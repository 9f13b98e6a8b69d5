"""The catalog as plain data: one spec per chipset, a unique slug each, and only sourced facts."""

from __future__ import annotations

import csv
import dataclasses
import io
from importlib import resources

import pytest

from registry.devices import DeviceSpec, load_device_specs
from registry.vocab import SLUG_RE

SD8G3 = "qualcomm-snapdragon-8gen3"


def _chipsets_in_data() -> list[str]:
    text = resources.files("registry.devices.data").joinpath("chipsets.csv").read_text(encoding="utf-8")
    return [row["chipset"] for row in csv.DictReader(io.StringIO(text))]


def _specs() -> dict[str, DeviceSpec]:
    return {s.chipset: s for s in load_device_specs()}


def test_every_chipset_has_one_valid_unique_slug() -> None:
    specs = load_device_specs()
    assert [s.chipset for s in specs] == _chipsets_in_data() and len(specs) == 29
    slugs = [s.slug for s in specs]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG_RE.match(slug) and len(slug) <= 32 for slug in slugs)
    # No slug is another chipset's SoC part: typing either would be ambiguous.
    parts = {p: s.chipset for s in specs for p in s.soc_parts}
    assert all(parts.get(s.slug, s.chipset) == s.chipset for s in specs)


def test_the_slugs_people_were_promised() -> None:
    by_slug = {s.slug: s.chipset for s in load_device_specs()}
    assert by_slug["sd8g3"] == SD8G3
    assert by_slug["sd8g2"] == "qualcomm-snapdragon-8gen2"
    assert by_slug["sd8g1"] == "qualcomm-snapdragon-8gen1"
    assert by_slug["sd8e"] == "qualcomm-snapdragon-8-elite"
    assert by_slug["sd8eg5"] == "qualcomm-snapdragon-8-elite-gen5"
    assert by_slug["sd8e-galaxy"] == "qualcomm-snapdragon-8-elite-for-galaxy"
    assert by_slug["sd7g4"] == "qualcomm-snapdragon-7gen4"
    assert by_slug["sdxe"] == "qualcomm-snapdragon-x-elite"
    assert by_slug["qcs6490"] == "qualcomm-qcs6490"
    assert by_slug["qcs8550"] == "qualcomm-qcs8550-proxy"
    assert by_slug["sa8775p"] == "qualcomm-sa8775p"
    # A proxy keeps "-proxy" only where the real chip is in the catalog too.
    assert by_slug["qcs9075"] == "qualcomm-qcs9075" and by_slug["qcs9075-proxy"] == "qualcomm-qcs9075-proxy"


def test_npu_architecture_of_the_five_published_chipsets_with_a_source() -> None:
    specs = _specs()
    published = {
        "qualcomm-snapdragon-8-elite-gen5": "V81",
        SD8G3: "V75",
        "qualcomm-snapdragon-x-elite": "V73",
        "qualcomm-qcs6490": "V68",
        "qualcomm-sa7255p": "V75",
    }
    for chipset, arch in published.items():
        fact = specs[chipset].fact("npu_arch")
        assert fact is not None and fact.value == arch and specs[chipset].npu_arch == arch
        assert "ai-hub-models" in fact.source
        assert specs[chipset].facts_json()["npu_arch"] == {"value": arch, "source": fact.source}


def test_every_fact_has_a_source_and_unknown_architectures_stay_unknown() -> None:
    specs = load_device_specs()
    facts = [f for s in specs for f in s.facts]
    assert facts and all(f.source.strip() and f.value != "" for f in facts)
    assert all(s.npu_arch is None or s.npu_arch.startswith("V") for s in specs)
    # Nothing public gives these, so the catalog does not guess.
    unknown = {s.chipset for s in specs if s.npu_arch is None}
    assert {"qualcomm-snapdragon-845", "qualcomm-qcs8275-proxy", "qualcomm-qcs9075"} <= unknown


def test_form_factors_are_the_union_of_the_chipsets_devices() -> None:
    specs = _specs()
    assert specs["qualcomm-snapdragon-8gen1"].form_factors == ("Phone", "Tablet")
    assert specs["qualcomm-sa8775p"].form_factors == ("Automotive",)
    assert specs["qualcomm-qcs8450-proxy"].form_factors == ("XR",)
    assert "Samsung Galaxy S24" in specs[SD8G3].device_names and "sm8650" in specs[SD8G3].soc_parts
    assert all(s.form_factors for s in specs.values())


def test_specs_are_immutable_and_each_call_gets_its_own_list() -> None:
    specs = load_device_specs()
    with pytest.raises(dataclasses.FrozenInstanceError):
        specs[0].slug = "changed"  # type: ignore[misc]
    specs.clear()
    assert len(load_device_specs()) == 29
    assert len({hash(s) for s in load_device_specs()}) == 29
