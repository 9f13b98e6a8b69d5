"""The ingest pipeline: check -> optimize per precision -> profile on the host -> evaluate fidelity -> record.

Each stage's output is cached by content (``ingest.stagecache``), so a re-run of an unchanged model skips
finished work, and a failed precision is recorded with its error without stopping the others. Builds are
recorded through ``registry.service.publish`` like any other publish."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ingest.byo import ModelSource, check_onnx, split, synthetic_inputs
from ingest.stagecache import StageCache, file_digest, stage_key
from registry.errors import RegistryError
from registry.local import LocalCatalog
from registry.models import IngestRun
from registry.service.entities import PublishResult
from registry.vocab import normalize_precision

DEFAULT_PRECISIONS = ("float", "fp16", "w8a8")
Progress = Callable[[str], None]


@dataclass
class IngestReport:
    model: str
    version: str
    run_id: int
    status: str
    builds: dict[str, dict[str, Any]] = field(default_factory=dict)
    published: PublishResult | None = None
    cached_stages: int = 0
    ran_stages: int = 0
    mlflow: dict[str, Any] | None = None


def run_ingest(
    source: ModelSource,
    catalog: LocalCatalog,
    work_dir: Path,
    *,
    version: str | None = None,
    precisions: tuple[str, ...] = DEFAULT_PRECISIONS,
    calibration_samples: int = 24,
    profile_runs: int = 20,
    progress: Progress | None = None,
    record_mlflow: bool = True,
) -> IngestReport:
    say = progress or (lambda _msg: None)
    precisions = tuple(dict.fromkeys(normalize_precision(p) for p in precisions))
    for path in source.components.values():
        check_onnx(path)
    version = version or _default_version(catalog, source.slug)
    cache = StageCache(work_dir / "cache")
    digests = {name: file_digest(path) for name, path in source.components.items()}
    run_id = _start_run(catalog, source, version, digests)
    report = IngestReport(source.slug, version, run_id, "running")
    data = {name: _samples(source, name, path, calibration_samples) for name, path in source.components.items()}
    for precision in precisions:
        try:
            report.builds[precision] = _build(source, precision, digests, data, cache, profile_runs, report, say)
            say(f"{precision}: built")
        except RegistryError as exc:
            report.builds[precision] = {"status": "failed", "error": exc.code, "detail": str(exc)}
            say(f"{precision}: failed: {exc}")
    ok = {p: b for p, b in report.builds.items() if b.get("status") == "built"}
    if ok:
        report.published = _publish(catalog, source, version, ok, work_dir)
        if record_mlflow:
            report.mlflow = _record_mlflow(catalog, source, version, digests, precisions, work_dir, say)
    report.status = "succeeded" if len(ok) == len(precisions) else ("partial" if ok else "failed")
    _finish_run(catalog, run_id, report)
    return report


def _default_version(catalog: LocalCatalog, slug: str) -> str:
    """1.0.0 for a new model; else its latest version, so re-ingesting unchanged bytes is a no-op and changed
    bytes are refused with a hint to pass --version."""
    from registry.errors import ModelNotFound
    from registry.service.catalog import get_model_info

    try:
        with catalog.session() as s:
            return get_model_info(s, slug).latest_version or "1.0.0"
    except ModelNotFound:
        return "1.0.0"


def _samples(source: ModelSource, name: str, path: Path, count: int) -> dict[str, Any]:
    given = (source.calibration or {}).get(name)
    samples = given if given else synthetic_inputs(path, count)
    calib, held = split(samples, held_out=8)
    return {"calibration": calib, "eval": held, "synthetic": not given}


def _build(
    source: ModelSource,
    precision: str,
    digests: dict[str, str],
    data: dict[str, dict[str, Any]],
    cache: StageCache,
    profile_runs: int,
    report: IngestReport,
    say: Progress,
) -> dict[str, Any]:
    from ingest.fidelity import compare, run_model
    from ingest.optimize import optimize
    from ingest.profile_host import profile

    components: dict[str, Any] = {}
    for name, path in source.components.items():
        d = data[name]
        key = stage_key(
            "optimize",
            source=digests[name],
            precision=precision,
            synthetic=d["synthetic"],
            calibration=_digest_samples(d["calibration"]),
        )

        def work(out: Path, path: Path = path, d: dict[str, Any] = d, name: str = name) -> dict[str, Any]:
            say(f"{precision}/{name}: optimizing")
            result = optimize(path, precision, out, calibration=d["calibration"] or None)
            return {"path": str(result.path), "files": [str(f) for f in result.files], "details": result.details}

        opt, cached = cache.run("optimize", key, work)
        _count(report, cached)
        built = Path(opt["path"])
        fkey = stage_key("fidelity", built=file_digest(built), source=digests[name], eval=_digest_samples(d["eval"]))

        def fidelity(
            _out: Path, path: Path = path, built: Path = built, d: dict[str, Any] = d, name: str = name
        ) -> dict[str, Any]:
            say(f"{precision}/{name}: evaluating against FP32")
            return compare(run_model(path, d["eval"]), run_model(built, d["eval"]))

        fid, cached = cache.run("fidelity", fkey, fidelity)
        _count(report, cached)
        pkey = stage_key("profile", built=file_digest(built), runs=profile_runs)

        def host(_out: Path, built: Path = built, d: dict[str, Any] = d, name: str = name) -> dict[str, Any]:
            say(f"{precision}/{name}: profiling on this host")
            prof = profile(built, d["eval"][:1], threads=(1, "all"), runs=profile_runs, max_seconds=60)
            return {
                "cpu": prof.cpu,
                "onnxruntime": prof.onnxruntime_version,
                "memory_method": prof.memory_method,
                "results": [vars(r) for r in prof.results],
            }

        prof, cached = cache.run("profile", pkey, host)
        _count(report, cached)
        components[name] = {
            "files": opt["files"],
            "details": opt["details"],
            "fidelity": fid,
            "profile": prof,
            "synthetic_data": d["synthetic"],
            "eval_samples": len(d["eval"]),
        }
    return {"status": "built", "components": components}


def _count(report: IngestReport, cached: bool) -> None:
    if cached:
        report.cached_stages += 1
    else:
        report.ran_stages += 1


def _digest_samples(samples: list[dict[str, Any]]) -> str:
    import hashlib

    h = hashlib.sha256()
    for s in samples:
        for k in sorted(s):
            h.update(k.encode())
            h.update(str(s[k].shape).encode())
            h.update(s[k].tobytes())
    return h.hexdigest()


def _publish(
    catalog: LocalCatalog, source: ModelSource, version: str, builds: dict[str, dict[str, Any]], work_dir: Path
) -> PublishResult:
    from registry.service.publish import publish_directory

    root = work_dir / "publish" / f"{source.slug}-{version}"
    if root.exists():
        import shutil

        shutil.rmtree(root)
    root.mkdir(parents=True)
    entries = []
    for precision, build in builds.items():
        files, benchmarks, evaluations, details = [], [], [], {}
        for name, comp in build["components"].items():
            component = None if name == "model" else name
            for f in comp["files"]:
                rel = f"{precision}/{name}/{Path(f).name}"
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                os.link(f, root / rel)
                files.append({"path": rel, "component": component})
            details[name] = comp["details"]
            for r in comp["profile"]["results"]:
                benchmarks.append(
                    {
                        "provenance": "measured-host",
                        "component": component,
                        "source": f"host {comp['profile']['cpu']}, onnxruntime {comp['profile']['onnxruntime']}, "
                        f"{r['threads']} thread(s)",
                        "latency_ms": r["p50_ms"],
                        "latency_p90_ms": r["p90_ms"],
                        "peak_memory_mb": r["peak_memory_mb"],
                        "compute_units": {"cpu": 1.0},
                        "details": {
                            "threads": r["threads"],
                            "runs": r["runs"],
                            "mean_ms": r["mean_ms"],
                            "load_ms": r["load_ms"],
                            "memory_method": comp["profile"]["memory_method"],
                        },
                    }
                )
            fid = comp["fidelity"]
            dataset = (
                "synthetic inputs (graph input spec, seeded)" if comp["synthetic_data"] else "calibration hold-out"
            )
            for metric in ("cosine", "sqnr_db"):
                evaluations.append(
                    {
                        "dataset": dataset,
                        "metric": metric,
                        "kind": "fidelity",
                        "value": fid[metric],
                        "reference_value": 1.0 if metric == "cosine" else None,
                        "sample_count": comp["eval_samples"],
                        "provenance": "measured-host",
                        "source": "onnxruntime CPU vs the FP32 build",
                        "component": component,
                        "details": {k: v for k, v in fid.items() if k != metric},
                    }
                )
        entries.append(
            {
                "precision": precision,
                "runtime": "onnx",
                "target": "any",
                "files": files,
                "details": details,
                "benchmarks": benchmarks,
                "evaluations": evaluations,
            }
        )
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
        },
        "version": version,
        "source": {"components": {n: file_digest(p) for n, p in source.components.items()}},
        "builds": entries,
    }
    (root / "manifest.yaml").write_text(
        yaml.safe_dump(json.loads(json.dumps(manifest, default=float)), sort_keys=False)
    )
    with catalog.session() as s:
        return publish_directory(s, catalog.store, root)


def _record_mlflow(
    catalog: LocalCatalog,
    source: ModelSource,
    version: str,
    digests: dict[str, str],
    precisions: tuple[str, ...],
    work_dir: Path,
    say: Progress,
) -> dict[str, Any]:
    from ingest.mlflow_record import record_ingest
    from ingest.stagecache import tool_versions
    from registry.service.catalog import show_model

    say("recording in MLflow")
    with catalog.session() as s:
        detail = show_model(s, source.slug, version)
    params = {
        "source_digests": digests,
        "precisions": ",".join(precisions),
        "backend": "local",
        "recipe_hash": stage_key("source", digests=digests),
        **{f"tool.{k}": v for k, v in tool_versions().items()},
    }
    manifest = work_dir / "publish" / f"{source.slug}-{version}" / "manifest.yaml"
    return record_ingest(catalog, detail, params=params, manifest=manifest, backend="local")


def _start_run(catalog: LocalCatalog, source: ModelSource, version: str, digests: dict[str, str]) -> int:
    with catalog.session() as s:
        row = IngestRun(
            model_slug=source.slug,
            version=version,
            backend="local",
            recipe_hash=stage_key("source", digests=digests),
            details={},
        )
        s.add(row)
        s.flush()
        return row.id


def _finish_run(catalog: LocalCatalog, run_id: int, report: IngestReport) -> None:
    with catalog.session() as s:
        row = s.get_one(IngestRun, run_id)
        row.status = report.status
        row.finished_at = datetime.now(UTC)
        row.details = {p: {k: v for k, v in b.items() if k != "components"} for p, b in report.builds.items()}
        row.mlflow_run_id = (report.mlflow or {}).get("run_id")
        failed = {p: b["detail"] for p, b in report.builds.items() if b.get("status") == "failed"}
        row.error = json.dumps(failed) if failed else None
