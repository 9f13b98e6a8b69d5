"""docker-compose.yml cannot run here (no Docker engine): check it agrees with the code instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from registry.settings import settings_fields

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_every_registry_variable_is_a_setting_the_code_reads() -> None:
    known = set(settings_fields())
    for name, service in _compose()["services"].items():
        for var in service.get("environment", {}) or {}:
            if var.startswith("REGISTRY_"):
                assert var in known, f"{name} sets {var}, which Settings does not read"


def test_migration_runs_before_the_api_and_services_are_checked() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["registry", "db", "upgrade"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        assert "healthcheck" in service or service.get("restart") == "no", f"{name} has no healthcheck"
    api = services["api"]
    port = api["command"][api["command"].index("--port") + 1]
    assert f"{port}:{port}" in api["ports"]
    assert api["environment"]["REGISTRY_DATABASE_URL"].startswith("postgresql://")
    assert api["environment"]["REGISTRY_STORE_URL"].startswith("s3://")
