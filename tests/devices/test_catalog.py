"""The device catalog: every name people type resolves to one chipset; unknown names get suggestions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.devices import normalize_name, resolve_device, seed_devices
from registry.embedded import EmbeddedCatalog
from registry.errors import DeviceNotFound
from registry.models import Device, DeviceName

SD8G3 = "qualcomm-snapdragon-8gen3"


@pytest.mark.parametrize(
    "name,chipset",
    [
        ("sd8g3", SD8G3),
        ("SD8G3", SD8G3),
        ("qualcomm-snapdragon-8gen3", SD8G3),
        ("sm8650", SD8G3),
        ("Snapdragon 8 Gen 3", SD8G3),
        ("snapdragon® 8 gen 3 mobile", SD8G3),
        ("SNAPDRAGON-8-GEN-3", SD8G3),
        ("Qualcomm Snapdragon 8 Gen 3", SD8G3),
        ("Samsung Galaxy S24", SD8G3),
        ("samsung galaxy s24", SD8G3),
        ("sd8e", "qualcomm-snapdragon-8-elite"),
        ("Snapdragon 8 Elite", "qualcomm-snapdragon-8-elite"),
        ("sd8eg5", "qualcomm-snapdragon-8-elite-gen5"),
        ("sm8850", "qualcomm-snapdragon-8-elite-gen5"),
        ("sdxe", "qualcomm-snapdragon-x-elite"),
        ("sc8380xp", "qualcomm-snapdragon-x-elite"),
        ("sd7g4", "qualcomm-snapdragon-7gen4"),
        ("qcs6490", "qualcomm-qcs6490"),
        ("sa8775p", "qualcomm-sa8775p"),
        ("qcs8550", "qualcomm-qcs8550-proxy"),
        ("qcs9075", "qualcomm-qcs9075"),
        ("sd8g2", "qualcomm-snapdragon-8gen2"),
        ("sd8g1", "qualcomm-snapdragon-8gen1"),
        ("Snapdragon 865+", "qualcomm-snapdragon-865+"),
    ],
)
def test_every_kind_of_name_resolves(catalog: EmbeddedCatalog, name: str, chipset: str) -> None:
    with catalog.session() as s:
        assert resolve_device(s, name).chipset == chipset


def test_unknown_names_suggest_the_closest(catalog: EmbeddedCatalog) -> None:
    with catalog.session() as s, pytest.raises(DeviceNotFound) as exc:
        resolve_device(s, "Snapdragon 8 Gen 4")
    assert "Snapdragon 8 Gen 4" in exc.value.detail
    assert exc.value.hint and "Snapdragon 8 Gen 3" in exc.value.hint and "registry devices" in exc.value.hint


def test_seeding_is_idempotent(catalog: EmbeddedCatalog) -> None:
    def counts() -> tuple[int, int]:
        with catalog.session() as s:
            return (
                s.scalar(select(func.count()).select_from(Device)) or 0,
                s.scalar(select(func.count()).select_from(DeviceName)) or 0,
            )

    before = counts()
    with catalog.session() as s:
        assert seed_devices(s) == 29
    assert counts() == before and before[0] == 29 and before[1] > 150


def test_normalization_ignores_case_and_symbols() -> None:
    assert normalize_name("Snapdragon® 8 Gen 3") == normalize_name("snapdragon-8-gen-3") == "snapdragon8gen3"
