"""`registry sync-qaihub-devices`: AI Hub's device list merged into the catalog, our sourced facts kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.cli import app
from registry.db import make_engine, make_sessionmaker, transaction
from registry.devices.catalog import resolve_device
from registry.models import Device
from tests.fixtures.qaihub_standin import StandIn


@pytest.fixture
def env(standin: StandIn, sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "REGISTRY_DATABASE_URL": sqlite_url,
        "REGISTRY_HOME": str(tmp_path / "home"),
        "REGISTRY_QAIHUB_TOKEN": "standin-token",
        "REGISTRY_QAIHUB_API_URL": standin.url,
    }


def test_sync_merges_hub_facts_and_keeps_ours(standin: StandIn, env: dict[str, str], sqlite_url: str) -> None:
    pb = standin.pb
    s24 = standin.device_pb("Samsung Galaxy S24")
    s24.attributes.remove("hexagon:v75")
    s24.attributes.append("hexagon:v79")  # AI Hub disagreeing with our sourced V75
    standin.devices.append(pb.Device(name="Future Phone", os="16", attributes=["chipset:qualcomm-future-9"]))
    with transaction(make_sessionmaker(make_engine(sqlite_url))) as session:
        before = session.get(Device, "qualcomm-snapdragon-8gen3")
        assert before is not None
        ours = dict(before.facts)

    result = CliRunner().invoke(app, ["sync-qaihub-devices", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["devices"] == len(standin.devices)
    assert report["unknown_chipsets"] == {"qualcomm-future-9": ["Future Phone"]}
    assert any("V75 (kept)" in c and "V79" in c for c in report["conflicts"])

    with transaction(make_sessionmaker(make_engine(sqlite_url))) as session:
        sd8g3 = session.get(Device, "qualcomm-snapdragon-8gen3")
        assert sd8g3 is not None
        assert sd8g3.npu_arch == "V75" and sd8g3.facts["npu_arch"] == ours["npu_arch"]  # sourced fact kept
        assert sd8g3.facts["vtcm_mb"] == ours["vtcm_mb"]
        assert sd8g3.facts["aihub_hexagon"]["value"] == "hexagon:v79"
        assert sd8g3.facts["aihub_htp_fp16"]["value"] is True
        assert "Qualcomm AI Hub device list" in sd8g3.facts["aihub_hexagon"]["source"]
        assert "Samsung Galaxy S24" in sd8g3.facts["aihub_devices"]["value"]
        assert resolve_device(session, "Samsung Galaxy S24").chipset == "qualcomm-snapdragon-8gen3"
        assert session.get(Device, "qualcomm-future-9") is None  # reported, not invented

    again = CliRunner().invoke(app, ["sync-qaihub-devices", "--json"], env=env)
    assert again.exit_code == 0 and json.loads(again.output)["updated"] == []  # idempotent


def test_sync_without_a_token_fails_at_once_with_a_clear_message(sqlite_url: str, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "QAIHUB_"))}
    env.update(REGISTRY_DATABASE_URL=sqlite_url, REGISTRY_HOME=str(tmp_path / "home"), HOME=str(tmp_path))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "registry", "sync-qaihub-devices"], env=env, capture_output=True, text=True, timeout=60
    )
    assert time.monotonic() - started < 10
    assert done.returncode == 2
    assert "No Qualcomm AI Hub token" in done.stderr and "qai-hub configure" in done.stderr
    assert "Traceback" not in done.stderr
