"""Qualcomm's published AI Hub figures as references next to ours: ``registry import-published CSV``.

Rows of ``aihub_published_perf.csv`` (and, given, ``aihub_published_numerics.csv``) whose AI Hub model maps to a
catalog model of the same architecture (``registry/estimator/data/published_map.csv``) become benchmarks and
evaluations with provenance ``published``: attached to the model (not to one of our builds: they describe
Qualcomm's build), with the source release and the AI Hub job id. Importing twice adds nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import InvalidInput
from registry.models import Benchmark, Device, Evaluation, Model
from registry.vocab import PUBLISHED, evaluation_unit

SOURCE_RELEASE = "quic/ai-hub-models v0.46.1"
_PERF_COLUMNS = {"model_id", "component", "precision", "runtime", "chipset", "inference_time_ms", "job_id"}
_NUMERICS_COLUMNS = {"model_id", "dataset_name", "metric_name", "partial_device_metric", "chipset", "precision"}


@dataclass(frozen=True)
class MapEntry:
    aihub_model_id: str
    aihub_component: str
    zoo_slug: str
    zoo_component: str | None
    note: str


@dataclass
class ImportReport:
    benchmarks: int = 0
    evaluations: int = 0
    already_present: int = 0
    models: list[str] = field(default_factory=list)
    unmapped_rows: int = 0
    missing_models: list[str] = field(default_factory=list)
    unknown_devices: list[str] = field(default_factory=list)
    anchored_estimates: int = 0  # estimates re-derived from the imported figures (registry.service.anchoring)

    def to_json(self) -> dict[str, Any]:
        return {k: (sorted(set(v)) if isinstance(v, list) else v) for k, v in self.__dict__.items()}


def load_published_map() -> list[MapEntry]:
    text = resources.files("registry.estimator.data").joinpath("published_map.csv").read_text(encoding="utf-8")
    return [
        MapEntry(r["aihub_model_id"], r["aihub_component"], r["zoo_slug"], r["zoo_component"] or None, r["note"])
        for r in csv.DictReader(io.StringIO(text))
    ]


def _read(path: Path, required: set[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise InvalidInput(f"No CSV file at {path}.", hint="Give the path of aihub_published_perf.csv.")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise InvalidInput(
                f"{path.name} lacks the columns {', '.join(sorted(missing))}.",
                hint="Give aihub_published_perf.csv (or, with --numerics, aihub_published_numerics.csv).",
            )
        return list(reader)


def import_published(session: Session, perf_csv: Path, numerics_csv: Path | None = None) -> ImportReport:
    """Attach the published figures of every mapped model present in the catalog. Only flushes."""
    perf = _read(perf_csv, _PERF_COLUMNS)
    numerics = _read(numerics_csv, _NUMERICS_COLUMNS) if numerics_csv else []
    mapping = {(m.aihub_model_id, m.aihub_component): m for m in load_published_map()}
    by_model = {m.aihub_model_id: m for m in mapping.values()}
    slugs = {m.zoo_slug for m in mapping.values()}
    models = {m.slug: m for m in session.scalars(select(Model).where(Model.slug.in_(slugs)))}
    devices = set(session.scalars(select(Device.chipset)))
    # a proxy device's rows copy another device's job ids, so a figure is its job id on its device
    seen_b = {
        (src, chip)
        for src, chip in session.execute(
            select(Benchmark.source, Benchmark.device_chipset).where(Benchmark.provenance == PUBLISHED)
        )
    }
    seen_e = set(session.scalars(select(Evaluation.source).where(Evaluation.provenance == PUBLISHED)))
    report = ImportReport()
    for row in perf:
        entry = mapping.get((row["model_id"], row["component"]))
        if entry is None:
            report.unmapped_rows += 1
            continue
        if _skip(entry, row["chipset"], models, devices, report) or not row["inference_time_ms"]:
            continue
        source = f"{SOURCE_RELEASE} job {row['job_id']}"
        if (source, row["chipset"]) in seen_b:
            report.already_present += 1
            continue
        seen_b.add((source, row["chipset"]))
        session.add(_benchmark(models[entry.zoo_slug], entry, row, source))
        report.benchmarks += 1
        report.models.append(entry.zoo_slug)
    for row in numerics:
        entry = by_model.get(row["model_id"])
        if entry is None:
            report.unmapped_rows += 1
            continue
        if _skip(entry, row["chipset"], models, devices, report) or not row["partial_device_metric"]:
            continue
        source = (
            f"{SOURCE_RELEASE} numerics {row['dataset_name']} {row['metric_name']} "
            f"{row['precision']} {row['runtime']} {row['chipset']}"
        )
        if source in seen_e:
            report.already_present += 1
            continue
        seen_e.add(source)
        session.add(_evaluation(models[entry.zoo_slug], row, source))
        report.evaluations += 1
        report.models.append(entry.zoo_slug)
    session.flush()
    from registry.service.anchoring import reanchor_model

    for slug in sorted(set(report.models)):
        report.anchored_estimates += reanchor_model(session, models[slug].id)
    return report


def _skip(entry: MapEntry, chipset: str, models: dict[str, Model], devices: set[str], report: ImportReport) -> bool:
    if entry.zoo_slug not in models:
        report.missing_models.append(entry.zoo_slug)
        return True
    if chipset not in devices:
        report.unknown_devices.append(chipset)
        return True
    return False


def registry_precision(aihub: str) -> str:
    """The registry's precision name for an AI Hub one: its mixed variants (``w8a16_mixed_int16``) are ``mixed``."""
    return "mixed" if "_mixed" in aihub else aihub


def _float(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


def _benchmark(model: Model, entry: MapEntry, row: dict[str, str], source: str) -> Benchmark:
    layers = {k: int(float(row.get(f"layers_{k}") or 0)) for k in ("npu", "gpu", "cpu")}
    return Benchmark(
        model_id=model.id,
        build_id=None,
        device_chipset=row["chipset"],
        precision=registry_precision(row["precision"]),
        runtime=row["runtime"],
        component=entry.zoo_component,
        provenance=PUBLISHED,
        source=source,
        latency_ms=_float(row["inference_time_ms"]),
        peak_memory_mb=_float(row.get("peak_memory_max_mb", "")),
        compute_units={"layers": layers, "primary": row.get("primary_compute_unit") or None},
        details={
            "release": SOURCE_RELEASE,
            "job_id": row["job_id"],
            "aihub_precision": row["precision"],
            "aihub_model_id": row["model_id"],
            "aihub_component": row["component"],
            "device_name": row.get("device_name"),
            "peak_memory_range_mb": [
                _float(row.get("peak_memory_min_mb", "")),
                _float(row.get("peak_memory_max_mb", "")),
            ],
            "tool_versions": {
                k: row[k] for k in ("qairt_version", "tflite_version", "onnx_runtime_version") if row.get(k)
            },
            "mapping_note": entry.note,
        },
    )


# AI Hub's metric_unit column, on our scales: mAP, mIOU and delta-1 are published as percentages; errors (NME, MAE)
# are lower-is-better scores.
PUBLISHED_UNITS = {
    "%": "percent",
    "miou": "percent",
    "map": "percent",
    "map@0.5:0.95": "percent",
    "δ1": "percent",
    "db": "dB",
}
LOWER_IS_BETTER = ("nme", "mae")


def _evaluation(model: Model, row: dict[str, str], source: str) -> Evaluation:
    samples = int(float(row.get("num_partial_samples") or 1))
    given = (row.get("metric_unit") or "").strip()
    value = float(row["partial_device_metric"])
    unit = evaluation_unit(row["metric_name"], value, "accuracy", PUBLISHED_UNITS.get(given.lower()) or "score")
    return Evaluation(
        model_id=model.id,
        build_id=None,
        device_chipset=row["chipset"],
        precision=registry_precision(row["precision"]),
        runtime=row.get("runtime") or "",
        component=None,
        provenance=PUBLISHED,
        source=source,
        dataset=row["dataset_name"],
        metric=row["metric_name"],
        kind="accuracy",
        value=value,
        reference_value=_float(row.get("partial_torch_metric", "")),
        sample_count=max(samples, 1),
        higher_is_better=not given.lower().startswith(LOWER_IS_BETTER),
        unit=unit,
        details={
            "release": SOURCE_RELEASE,
            "unit": row.get("metric_unit"),
            "split": row.get("dataset_split_description"),
            "aihub_model_id": row["model_id"],
            "device_name": row.get("device_name"),
            "aihub_precision": row["precision"],
        },
    )
