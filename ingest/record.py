"""Recording an ingest: the ingest_runs row, the publish through the service layer, the MLflow run.

Builds go to the catalog like any other publish (``registry.service.publish``): the same bytes again are a
no-op, changed bytes under a published version are refused. MLflow gets one run per ingest that changed
something; a re-ingest of an unchanged model reuses the run and model versions already linked.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.compat import describe_build
from ingest.stagecache import tool_versions
from registry import atomic
from registry.client.sdk import Client
from registry.embedded import EmbeddedCatalog
from registry.entities import PublishResult
from registry.errors import RegistryError
from registry.hashing import sha256_file
from registry.service import ingest_runs
from registry.service.manifest import dump_manifest_yaml, parse_manifest
from registry.vocab import MEASURED_HOST, ONNX

if TYPE_CHECKING:
    from ingest.backends import DeviceBuild
    from ingest.builds import BuildResult, ComponentResult
    from ingest.pipeline import IngestOptions, IngestReport, Prepared, Progress
    from ingest.runlog import RunLog

# Where an ingest records: the embedded catalog (with its ingest_runs rows), or a server through registry.Client
# (builds, figures and MLflow links go there; the run's log stays on this machine).
Catalog = EmbeddedCatalog | Client


def client_for(catalog: Catalog) -> Client:
    return catalog if isinstance(catalog, Client) else Client.embedded(catalog)


def default_version(catalog: Catalog, slug: str) -> str:
    """1.0.0 for a new model; else its latest version, so re-ingesting unchanged bytes is a no-op and changed
    bytes are refused with a hint to pass --version."""
    from registry.errors import ModelNotFound

    try:
        return client_for(catalog).model(slug).model.latest_version or "1.0.0"
    except ModelNotFound:
        return "1.0.0"


def start_run(catalog: Catalog, prep: Prepared, version: str, opts: IngestOptions, log: RunLog | None) -> int:
    if isinstance(catalog, Client):  # a server's catalog: no ingest_runs row there (the log file keeps the run)
        return 0
    with catalog.session() as s:
        return ingest_runs.start_ingest_run(
            s,
            model=prep.source.slug,
            version=version,
            backend=opts.backend,
            recipe_hash=prep.recipe_hash,
            log_path=str(log.path) if log else None,
        )


def finish_run(catalog: Catalog, report: IngestReport) -> None:
    if isinstance(catalog, Client):
        return
    details: dict[str, Any] = {}
    for key, build in report.builds.items():
        details[key.label] = {k: v for k, v in build.summary().items() if k != "device_benchmarks"}
    details["_run"] = {
        "log_path": report.log_path,
        "devices": list(report.devices),
        "stages_run": report.ran_stages,
        "stages_cached": report.cached_stages,
        "mlflow_reused": bool((report.mlflow or {}).get("reused")),
    }
    failed: dict[str, Any] = {key.label: b.detail for key, b in report.builds.items() if not b.built}
    for b in report.builds.values():  # device builds that failed, per (precision, runtime, target)
        for d in b.device_builds:
            if d.error:
                failed[f"{b.precision}/{d.runtime}/{d.target}"] = d.error
    if report.error:
        failed["publish"] = report.error["detail"]
    with catalog.session() as s:
        ingest_runs.finish_ingest_run(
            s,
            report.run_id,
            status=report.status,
            details=details,
            mlflow_run_id=(report.mlflow or {}).get("run_id"),
            failed=failed,
        )


def record_refused(catalog: Catalog, slug: str, version: str | None, exc: RegistryError, log: RunLog | None) -> None:
    """An ingest refused before any build (not a model file): a failed run row, nothing else written."""
    if log is not None:
        log.write(f"{slug}: refused: {exc}")
    if isinstance(catalog, Client):
        return
    with catalog.session() as s:
        ingest_runs.record_refused_run(
            s, model=slug, version=version, code=exc.code, detail=exc.detail, log_path=str(log.path) if log else None
        )


def publish(catalog: Catalog, prep: Prepared, version: str, builds: list[BuildResult], work_dir: Path) -> PublishResult:
    source = prep.source
    root = work_dir / "publish" / f"{source.slug}-{version}"
    stamp = root.parent / f"{root.name}.manifest-sha256"  # the manifest.yaml in root is this data's dump
    kept = _kept_manifest(root, stamp)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    entries = []
    for build in builds:
        entries.append(_build_entry(root, prep, build))
        entries += [_device_build_entry(root, d) for d in build.device_builds if not d.error and not d.portable]
    for entry in entries:  # every build carries the model's assets (its tokenizer), beside its model files
        entry["files"] += _place_assets(root, entry, source.assets)
    for entry in entries:  # what loads each build, read from its files (docs/compatibility.md)
        entry.update(describe_build(root, entry))
    manifest = {
        "model": {
            "slug": source.slug,
            "name": source.name,
            "task": source.task,
            "domain": source.domain,
            "license": source.license,
            "weights": source.weights,
            "description": source.description,
            "source_url": source.source_url,
            "card": source.card,
            "names": list(source.names),
        },
        "version": version,
        "source": {
            "components": prep.digests,
            "recipe_hash": prep.recipe_hash,
            **({"assets": {n: sha256_file(f)[0] for n, f in sorted(source.assets.items())}} if source.assets else {}),
        },
        "builds": entries,
    }
    data = json.loads(json.dumps(manifest, default=float))
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    # The YAML lands whole (a kill leaves the old file or the new one) and the stamp only after it, so a kept
    # YAML is always a whole dump of the data its stamp names.
    if kept is not None and kept[0] == digest:  # a cached re-run: the same manifest, its YAML written before
        atomic.write_bytes(root / "manifest.yaml", kept[1])
    else:
        stamp.unlink(missing_ok=True)
        atomic.write_bytes(root / "manifest.yaml", dump_manifest_yaml(data).encode())
        atomic.write_bytes(stamp, digest.encode())
    # The one front door, as `registry publish` uses it, given the manifest this YAML holds (not parsed again).
    return client_for(catalog).publish(root, parse_manifest(data, origin="manifest.yaml"))


def _kept_manifest(root: Path, stamp: Path) -> tuple[str, bytes] | None:
    """(digest, YAML bytes) of the manifest a previous run wrote in ``root``, when its stamp is there."""
    try:
        return stamp.read_text().strip(), (root / "manifest.yaml").read_bytes()
    except OSError:
        return None


def _build_entry(root: Path, prep: Prepared, build: BuildResult) -> dict[str, Any]:
    """A build made here as a manifest build: its files linked under ``{precision}[-{runtime}]/{component}/``."""
    precision, runtime = build.precision, build.runtime
    folder = precision if runtime == ONNX else f"{precision}-{runtime}"
    files, benchmarks, evaluations = [], [], []
    details: dict[str, Any] = {}
    for name, comp in build.components.items():
        component = None if name == "model" else name
        for f in comp.files:
            rel = f"{folder}/{name}/{Path(f).name}"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(f, root / rel)
            files.append({"path": rel, "component": component})
        details[name] = comp.details
        benchmarks += _host_benchmarks(comp, component)
        if (precision, runtime) != ("float", ONNX):  # the FP32 reference: its fidelity to itself says nothing
            evaluations += _fidelity_evaluations(prep, comp, component, runtime)
    evaluations += build.accuracy
    evaluations += build.device_evaluations  # a backend's run of the portable build on devices
    benchmarks += build.device_benchmarks
    if prep.export:
        details["export"] = prep.export
    if prep.interfaces:
        details["interface"] = prep.interfaces
    if prep.data:
        details["data"] = prep.data
    degenerate = {n: c.fidelity["degenerate"] for n, c in build.components.items() if c.fidelity.get("degenerate")}
    if degenerate:
        details["degenerate_accepted"] = degenerate
    if build.evaluation_error:
        details["evaluation_error"] = build.evaluation_error
    return {
        "precision": precision,
        "runtime": runtime,
        "target": build.key.target,
        "files": files,
        "details": details,
        "benchmarks": benchmarks,
        "evaluations": evaluations,
    }


def _place_assets(root: Path, entry: dict[str, Any], assets: dict[str, Path]) -> list[dict[str, Any]]:
    """The model's assets copied into one build's folder (``{precision}[-{runtime}]/tokenizer.json``, beside the
    build's component folders), as manifest files of no component. A copy, not a link: an asset is often an
    installed package's file. ``publish`` starts from an empty root, so nothing is there yet."""
    if not assets or not entry["files"]:
        return []
    folder = Path(entry["files"][0]["path"]).parent.parent
    placed = []
    for name, path in sorted(assets.items()):
        rel = (folder / name).as_posix()
        shutil.copyfile(path, root / rel)
        placed.append({"path": rel, "component": None})
    return placed


def _device_build_entry(root: Path, hub: DeviceBuild) -> dict[str, Any]:
    """A backend's ``DeviceBuild`` as a manifest build: its downloaded files linked under the publish root."""
    from dataclasses import replace

    folder = root / hub.precision / f"{hub.runtime}-{hub.target}"
    placed = []
    for f in hub.files:
        dest = folder / f.parent.name / f.name  # the component folder ('model' for a single file) is kept
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(f, dest)
        except OSError:  # another file system
            shutil.copy2(f, dest)
        placed.append(dest)
    entry: dict[str, Any] = replace(hub, files=placed).manifest_entry(root)
    return entry


def _host_benchmarks(comp: ComponentResult, component: str | None) -> list[dict[str, Any]]:
    prof = comp.profile
    runtime = prof.get("runtime") or f"onnxruntime {prof.get('onnxruntime')}"  # profiles cached before runtimes
    return [
        {
            "provenance": MEASURED_HOST,
            "component": component,
            "source": f"host {prof['cpu']}, {runtime}, {r['threads']} thread(s)",
            "latency_ms": r["p50_ms"],
            "latency_p90_ms": r["p90_ms"],
            "peak_memory_mb": r["peak_memory_mb"],
            "compute_units": {"cpu": 1.0},
            "details": {
                "threads": r["threads"],
                "runs": r["runs"],
                "mean_ms": r["mean_ms"],
                "load_ms": r["load_ms"],
                "memory_method": prof["memory_method"],
                **({"input_shapes": comp.input_shapes} if comp.input_shapes else {}),
            },
        }
        for r in prof["results"]
    ]


def _fidelity_evaluations(
    prep: Prepared, comp: ComponentResult, component: str | None, runtime: str
) -> list[dict[str, Any]]:
    fid = comp.fidelity
    engine = "onnxruntime CPU" if runtime == ONNX else f"{runtime} on this host"
    if comp.synthetic_data:
        dataset = "synthetic inputs (graph input spec, seeded)"
    elif prep.task_metric is not None or prep.export:
        dataset = f"{prep.source.slug} held-out evaluation inputs"
    else:
        dataset = "calibration hold-out"
    return [
        {
            "dataset": dataset,
            "metric": metric,
            "kind": "fidelity",
            "value": fid[metric],
            "reference_value": 1.0 if metric == "cosine" else None,
            "sample_count": comp.eval_samples,
            "provenance": MEASURED_HOST,
            "source": f"{engine} vs the FP32 ONNX build",
            "component": component,
            "details": {
                **{k: v for k, v in fid.items() if k != metric},
                "synthetic_data": bool(comp.synthetic_data),
                **({"input_shapes": comp.input_shapes} if comp.input_shapes else {}),
            },
        }
        for metric in ("cosine", "sqnr_db")
    ]


def record_mlflow(
    catalog: Catalog, prep: Prepared, report: IngestReport, opts: IngestOptions, work_dir: Path, say: Progress
) -> dict[str, Any]:
    from ingest.mlflow_record import record_ingest, tracking_uri

    detail = client_for(catalog).model(prep.source.slug, report.version)
    assert detail.version is not None
    linked = detail.version.mlflow_run_id and all(b.mlflow_model_version for b in detail.builds)
    if report.published is not None and not report.published.created and linked:
        say(f"{report.model}@{report.version}: unchanged; MLflow run {detail.version.mlflow_run_id} kept")
        return {
            "tracking_uri": tracking_uri(catalog),
            "run_id": detail.version.mlflow_run_id,
            "registered_model": f"edge-registry.{report.model}",
            "versions": {b.id: b.mlflow_model_version for b in detail.builds},
            "reused": True,
        }
    say(f"{report.model}@{report.version}: recording in MLflow")
    params = {
        "source_digests": prep.digests,
        "precisions": ",".join(prep.precisions),
        "runtimes": ",".join(prep.runtimes),
        "backend": opts.backend,
        "devices": ",".join(opts.devices) or "-",
        "recipe_hash": prep.recipe_hash,
        "run_log": report.log_path or "-",
        **{f"tool.{k}": v for k, v in tool_versions().items()},
    }
    manifest = work_dir / "publish" / f"{prep.source.slug}-{report.version}" / "manifest.yaml"
    return record_ingest(catalog, detail, params=params, manifest=manifest, backend=opts.backend)
