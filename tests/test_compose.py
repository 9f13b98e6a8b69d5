"""docker-compose.yml agrees with the code (tests/test_stack.py runs its services as processes: no Docker here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from registry.settings import settings_fields
from tests.fixtures.compose import environment as _env
from tests.fixtures.compose import services as _services

ROOT = Path(__file__).resolve().parents[1]


def _flag(command: list[str], name: str) -> str:
    assert name in command, f"{name} missing from {command}"
    return command[command.index(name) + 1]


def _healthcheck_url(service: dict[str, Any]) -> str:
    test = " ".join(service["healthcheck"]["test"])
    found = re.search(r"https?://[^'\" ]+", test)
    assert found, test
    return found.group(0)


def test_the_file_parses_and_every_service_has_something_to_run() -> None:
    services = _services()
    assert {"postgres", "minio", "migrate", "mlflow", "api", "ui"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, f"{name} has neither image nor build"
        assert isinstance(_env(service), dict)


def test_every_registry_variable_is_a_setting_the_code_reads() -> None:
    known = set(settings_fields())
    seen = set()
    for name, service in _services().items():
        for var in _env(service):
            if var.startswith("REGISTRY_"):
                assert var in known, f"{name} sets {var}, which Settings does not read"
                seen.add(var)
    assert {"REGISTRY_DATABASE_URL", "REGISTRY_STORE_URL", "REGISTRY_MLFLOW_URI", "REGISTRY_URL"} <= seen


def test_migration_runs_before_the_api_and_services_are_checked() -> None:
    services = _services()
    assert services["migrate"]["command"] == ["registry", "db", "upgrade"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        assert "healthcheck" in service or service.get("restart") == "no", f"{name} has no healthcheck"
    api = _env(services["api"])
    assert api["REGISTRY_DATABASE_URL"].startswith("postgresql://")
    assert api["REGISTRY_STORE_URL"].startswith("s3://")
    assert _env(services["migrate"]).items() <= api.items(), "migrate and the api must see the same catalog"


def test_every_dependency_exists_and_can_be_waited_for() -> None:
    services = _services()
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: give depends_on a condition per service"
        for target, spec in depends.items():
            assert target in services, f"{name} depends on {target}, which is not a service"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target} to be healthy; it has no check"
            elif condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is waited on to finish but restarts"
            else:
                pytest.fail(f"{name} -> {target}: use service_healthy or service_completed_successfully")
    # No cycle: every service can start once what it depends on has.
    started: set[str] = set()
    while len(started) < len(services):
        ready = {n for n, s in services.items() if n not in started and set(s.get("depends_on") or {}) <= started}
        assert ready, f"dependency cycle among {set(services) - started}"
        started |= ready


@pytest.mark.parametrize("name", ["api", "ui", "mlflow"])
def test_ports_agree_with_commands_and_healthchecks(name: str) -> None:
    service = _services()[name]
    port = _flag(service["command"], "--port")
    assert f"{port}:{port}" in service["ports"]
    health = urlsplit(_healthcheck_url(service))
    assert health.hostname == "127.0.0.1" and str(health.port) == port
    assert _flag(service["command"], "--host") == "0.0.0.0", f"{name} must listen beyond the container"


def test_clients_reach_the_services_they_name() -> None:
    services = _services()
    api_port = _flag(services["api"]["command"], "--port")
    ui = _env(services["ui"])
    assert ui["REGISTRY_URL"] == f"http://api:{api_port}"
    assert services["ui"]["command"][:2] == ["registry", "ui"]
    if "--api" in services["ui"]["command"]:
        assert _flag(services["ui"]["command"], "--api") == ui["REGISTRY_URL"]
    assert services["ui"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert not any(k in ui for k in ("REGISTRY_DATABASE_URL", "REGISTRY_STORE_URL")), "the UI talks to the API only"
    mlflow_port = _flag(services["mlflow"]["command"], "--port")
    assert _env(services["api"])["REGISTRY_MLFLOW_URI"] == f"http://mlflow:{mlflow_port}"
    assert services["api"]["depends_on"]["mlflow"]["condition"] == "service_healthy"
    store = urlsplit(_env(services["api"])["REGISTRY_S3_ENDPOINT_URL"])
    assert store.hostname == "minio" and store.port == 9000


def test_mlflow_keeps_its_runs_in_its_own_postgres_database() -> None:
    services = _services()
    pg, mlflow = _env(services["postgres"]), _env(services["mlflow"])
    backend = urlsplit(mlflow["MLFLOW_BACKEND_STORE_URI"])
    assert backend.scheme.split("+")[0] == "postgresql" and backend.hostname == "postgres"
    assert (backend.username, backend.password) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"])
    database = backend.path.lstrip("/")
    catalog = urlsplit(_env(services["api"])["REGISTRY_DATABASE_URL"]).path.lstrip("/")
    assert database and database != catalog, "MLflow's tables must not share the catalog's database"
    creator = _env(services["mlflow-db"])
    assert creator["MLFLOW_DB"] == database and creator["PGHOST"] == "postgres"
    assert (creator["PGUSER"], creator["PGPASSWORD"]) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"])
    assert "CREATE DATABASE $$MLFLOW_DB" in (ROOT / "docker-compose.yml").read_text()
    assert services["mlflow"]["depends_on"]["mlflow-db"]["condition"] == "service_completed_successfully"


def test_mlflow_proxies_artifacts_to_a_minio_bucket_that_is_created_first() -> None:
    services = _services()
    minio, mlflow = _env(services["minio"]), _env(services["mlflow"])
    assert "--serve-artifacts" in services["mlflow"]["command"]
    dest = urlsplit(mlflow["MLFLOW_ARTIFACTS_DESTINATION"])
    assert dest.scheme == "s3" and dest.netloc
    assert services["mlflow-bucket"]["command"][-1] == f"local/{dest.netloc}"
    endpoint = urlsplit(mlflow["MLFLOW_S3_ENDPOINT_URL"])
    assert endpoint.hostname == "minio" and endpoint.port == 9000
    assert (mlflow["AWS_ACCESS_KEY_ID"], mlflow["AWS_SECRET_ACCESS_KEY"]) == (
        minio["MINIO_ROOT_USER"],
        minio["MINIO_ROOT_PASSWORD"],
    )
    mc = urlsplit(_env(services["mlflow-bucket"])["MC_HOST_local"])
    assert (mc.username, mc.password, mc.hostname, mc.port) == (
        minio["MINIO_ROOT_USER"],
        minio["MINIO_ROOT_PASSWORD"],
        "minio",
        9000,
    )
    assert services["mlflow"]["depends_on"]["mlflow-bucket"]["condition"] == "service_completed_successfully"
    # Clients log through the proxy: no service but MLflow (and MinIO itself) holds MinIO's root credentials
    # under an AWS_* name.
    for name, service in services.items():
        if name != "mlflow":
            assert "AWS_SECRET_ACCESS_KEY" not in _env(service), name


def test_mlflow_cli_reads_the_variables_the_file_sets() -> None:
    """The MLFLOW_* names are the envvars of `mlflow server`'s own options (mlflow-skinny 3.17.2)."""
    from mlflow.cli import server

    envvars = {p.envvar for p in server.params if p.envvar}
    used = {k for k in _env(_services()["mlflow"]) if k.startswith("MLFLOW_")}
    known_elsewhere = {"MLFLOW_S3_ENDPOINT_URL", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "MLFLOW_DISABLE_TELEMETRY"}
    assert used - known_elsewhere <= envvars, used - known_elsewhere - envvars
    from mlflow import environment_variables as ev

    for name in known_elsewhere:
        assert any(getattr(v, "name", None) == name for v in vars(ev).values()), name
