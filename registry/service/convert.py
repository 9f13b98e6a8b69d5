"""ORM rows -> plain entities. The only place that knows both shapes."""

from __future__ import annotations

from collections.abc import Iterable

from registry.entities import (
    BenchmarkInfo,
    BuildInfo,
    BuildInterface,
    BuildRequirements,
    DeviceInfo,
    EvaluationInfo,
    FileInfo,
    ModelInfo,
    VersionInfo,
)
from registry.models import Benchmark, Build, BuildFile, Device, Evaluation, Model, Version
from registry.vocab import SemVer


def model_info(
    row: Model, latest: str | None = None, aliases: dict[str, str] | None = None, names: list[str] | None = None
) -> ModelInfo:
    return ModelInfo(
        slug=row.slug,
        name=row.name,
        task=row.task,
        domain=row.domain,
        license=row.license,
        source_url=row.source_url,
        description=row.description,
        weights=row.weights,
        card=row.card or {},
        latest_version=latest,
        aliases=aliases or {},
        names=names or [],
    )


def version_info(row: Version, model_slug: str, aliases: Iterable[str] = (), build_count: int = 0) -> VersionInfo:
    return VersionInfo(
        model=model_slug,
        version=row.version,
        status=row.status,
        status_reason=row.status_reason,
        prerelease=bool(row.prerelease),
        content_digest=row.content_digest,
        source=row.source or {},
        mlflow_run_id=row.mlflow_run_id,
        created_at=row.created_at,
        aliases=sorted(aliases),
        build_count=build_count,
    )


def file_info(row: BuildFile) -> FileInfo:
    return FileInfo(path=row.path, sha256=row.blob_sha256, size=row.size, component=row.component)


def benchmark_info(row: Benchmark, slugs: dict[str, str] | None = None) -> BenchmarkInfo:
    return BenchmarkInfo(
        id=row.id,
        build_id=row.build_id,
        device=row.device_chipset,
        device_slug=(slugs or {}).get(row.device_chipset or ""),
        precision=row.precision,
        runtime=row.runtime,
        component=row.component,
        provenance=row.provenance,
        source=row.source,
        latency_ms=row.latency_ms,
        latency_p90_ms=row.latency_p90_ms,
        peak_memory_mb=row.peak_memory_mb,
        error_pct=row.error_pct,
        compute_units=row.compute_units or {},
        details=row.details or {},
        reported_by=row.reported_by,
        anchored_on=((row.details or {}).get("anchored") or {}).get("label"),
        anchor_level=((row.details or {}).get("anchored") or {}).get("level"),
        superseded_by=row.superseded_by,
    )


def evaluation_info(row: Evaluation) -> EvaluationInfo:
    return EvaluationInfo(
        id=row.id,
        build_id=row.build_id,
        device=row.device_chipset,
        precision=row.precision,
        runtime=row.runtime,
        component=row.component,
        provenance=row.provenance,
        source=row.source,
        dataset=row.dataset,
        metric=row.metric,
        kind=row.kind,
        value=row.value,
        reference_value=row.reference_value,
        sample_count=row.sample_count,
        higher_is_better=row.higher_is_better,
        unit=row.unit,
        details=row.details or {},
    )


def build_info(
    row: Build,
    model_slug: str,
    version: str,
    files: Iterable[BuildFile],
    benchmarks: Iterable[BenchmarkInfo] = (),
    evaluations: Iterable[EvaluationInfo] = (),
) -> BuildInfo:
    return BuildInfo(
        id=row.id,
        model=model_slug,
        version=version,
        precision=row.precision,
        runtime=row.runtime,
        target=row.target,
        files=[file_info(f) for f in sorted(files, key=lambda f: f.path)],
        details=row.details or {},
        requirements=BuildRequirements.model_validate(row.requirements or {}),
        interface=BuildInterface.model_validate(row.interface or {}),
        mlflow_model_name=row.mlflow_model_name,
        mlflow_model_version=row.mlflow_model_version,
        created_at=row.created_at,
        benchmarks=list(benchmarks),
        evaluations=list(evaluations),
    )


def device_info(row: Device, build_count: int | None = None) -> DeviceInfo:
    return DeviceInfo(
        chipset=row.chipset,
        slug=row.slug,
        marketing_name=row.marketing_name,
        soc_parts=[str(s) for s in row.soc_parts or []],
        world=row.world,
        form_factors=[str(s) for s in row.form_factors or []],
        npu_arch=row.npu_arch,
        facts=row.facts or {},
        build_count=build_count,
    )


def semver_of(row: Version) -> SemVer:
    return SemVer(row.major, row.minor, row.patch, row.prerelease)
