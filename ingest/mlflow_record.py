"""Recording an ingest in MLflow: one run (params, metrics per build and device, the manifest as an artifact),
one registered model per catalog model with one model version per build, cross-linked both ways."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from registry.client.sdk import Client
from registry.embedded import EmbeddedCatalog
from registry.entities import ModelDetail
from registry.errors import RegistryError, require


def tracking_uri(catalog: EmbeddedCatalog | Client) -> str:
    """REGISTRY_MLFLOW_URI; for a server's catalog, the tracking URI the server advertises (``GET /v1/info``);
    else an embedded SQLite tracking store in the data dir."""
    if catalog.settings.mlflow_uri:
        return catalog.settings.mlflow_uri
    if isinstance(catalog, Client) and catalog.url:
        advertised: str | None = catalog.server_info().get("mlflow_tracking_uri")
        if not advertised:
            raise RegistryError(
                f"{catalog.url} advertises no MLflow tracking server, so this ingest cannot be recorded there.",
                hint="Set REGISTRY_MLFLOW_URI on the server (or here), or pass --no-mlflow.",
            )
        return advertised
    catalog.settings.home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{catalog.settings.home / 'mlflow.db'}"


def record_ingest(
    catalog: EmbeddedCatalog | Client, detail: ModelDetail, *, params: dict[str, Any], manifest: Path, backend: str
) -> dict[str, Any]:
    """Log the run and register every build of ``detail.version``; write the ids back onto the catalog.

    MLflow's own messages (a tracking server's "View run at" links) go to stderr: stdout is ``--json``'s."""
    with contextlib.redirect_stdout(sys.stderr):
        return _record(catalog, detail, params=params, manifest=manifest, backend=backend)


def _record(
    catalog: EmbeddedCatalog | Client, detail: ModelDetail, *, params: dict[str, Any], manifest: Path, backend: str
) -> dict[str, Any]:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    mlflow = require("mlflow", "mlflow")
    from mlflow.tracking import MlflowClient

    assert detail.version is not None
    uri = tracking_uri(catalog)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = _experiment(client, catalog)
    model, version = detail.model.slug, detail.version.version
    run = client.create_run(
        experiment,
        run_name=f"ingest {model}@{version}",
        tags={"catalog.model": model, "catalog.version": version, "backend": backend},
    )
    run_id = run.info.run_id
    for key, value in sorted(params.items()):
        client.log_param(run_id, key, str(value)[:6000])
    for build in detail.builds:
        prefix = f"{build.precision}.{build.runtime}.{build.target}"
        for b in build.benchmarks:
            if b.latency_ms is not None:
                where = b.device_slug or f"host_{b.details.get('threads', 'n')}t"
                client.log_metric(run_id, f"{prefix}.{where}.{b.provenance}.latency_ms", b.latency_ms)
        for e in build.evaluations:
            client.log_metric(run_id, f"{prefix}.{e.kind}.{e.metric}", e.value)
    client.log_artifact(run_id, str(manifest))
    client.set_terminated(run_id)
    name = f"edge-registry.{model}"
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(name, tags={"catalog.model": model}, description=detail.model.description)
    links: dict[int, str] = {}
    for build in detail.builds:
        if build.mlflow_model_version:
            links[build.id] = build.mlflow_model_version
            continue
        files = {f.path: f.sha256 for f in build.files}
        mv = client.create_model_version(
            name,
            source=f"runs:/{run_id}/{manifest.name}",
            run_id=run_id,
            tags={
                "catalog.build_id": str(build.id),
                "catalog.version": version,
                "precision": build.precision,
                "runtime": build.runtime,
                "target": build.target,
                "sha256": ",".join(sorted(files.values())),
                "files": ",".join(sorted(files)),
            },
        )
        links[build.id] = str(mv.version)
    _link(catalog, model, version, run_id, name, links)
    return {"tracking_uri": uri, "run_id": run_id, "registered_model": name, "versions": links}


def _experiment(client: Any, catalog: EmbeddedCatalog | Client) -> str:
    name = "edge-model-registry ingest"
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    remote = catalog.settings.mlflow_uri or isinstance(catalog, Client)
    artifacts = (catalog.settings.home / "mlflow-artifacts").resolve().as_uri()
    return str(client.create_experiment(name, artifact_location=None if remote else artifacts))


def _link(
    catalog: EmbeddedCatalog | Client, model: str, version: str, run_id: str, name: str, links: dict[int, str]
) -> None:
    from ingest.record import client_for

    client_for(catalog).link_mlflow(model, version, run_id, name, links)
