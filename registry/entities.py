"""Plain entities that leave the service layer (ORM rows never do). The API serves these as JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from registry.vocab import evaluation_unit


def as_utc(value: datetime) -> datetime:
    """SQLite gives naive datetimes back: every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_iso(value: datetime) -> str:
    """``2026-12-07T03:50:00.123456Z``: UTC, with its ``Z``."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[datetime, AfterValidator(as_utc), PlainSerializer(utc_iso, return_type=str, when_used="json")]


class Entity(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class FileInfo(Entity):
    path: str
    sha256: str
    size: int
    component: str | None = None
    url: str | None = Field(default=None, description="Download URL (set by the API).")


class BenchmarkInfo(Entity):
    id: int
    build_id: int | None
    device: str | None = Field(description="Chipset id; None for a host measurement.")
    device_slug: str | None = None
    precision: str
    runtime: str
    component: str | None = None
    provenance: str
    source: str
    latency_ms: float | None = None
    latency_p90_ms: float | None = None
    peak_memory_mb: float | None = None
    error_pct: float | None = None
    compute_units: dict[str, Any] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    reported_by: str | None = Field(None, description="A user's own measurement: the reporter (self-reported).")
    anchored_on: str | None = Field(None, description="An anchored estimate: the figure it was re-derived from.")
    anchor_level: str | None = Field(None, description="same (precision and runtime), runtime or any.")
    superseded_by: int | None = Field(None, description="A re-derived estimate replaced this one (kept, not current).")


class EvaluationInfo(Entity):
    id: int
    build_id: int | None
    device: str | None = None
    precision: str
    runtime: str
    component: str | None = None
    provenance: str
    source: str
    dataset: str
    metric: str
    kind: str
    value: float
    reference_value: float | None = None
    sample_count: int
    higher_is_better: bool = True
    unit: str = ""  # the value's scale: fraction, percent, cosine, dB or score (registry.vocab.EVALUATION_UNITS)
    details: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _read_unit(self) -> EvaluationInfo:
        """A figure from a server older than units: its scale read from its metric and value, as on publish."""
        if not self.unit:
            object.__setattr__(self, "unit", evaluation_unit(self.metric, self.value, self.kind))
        return self


class TensorSpec(Entity):
    """One input or output of a build: its name, shape (a dimension is a number, a symbolic name, or None when
    unknown) and dtype (numpy's name: float32, uint8, int64...)."""

    model_config = ConfigDict(from_attributes=True, frozen=True, extra="forbid")
    name: str = Field(max_length=400)
    shape: list[int | str | None] | None = None
    dtype: str = Field(max_length=32)
    component: str | None = Field(default=None, max_length=64)


class BuildInterface(Entity):
    model_config = ConfigDict(from_attributes=True, frozen=True, extra="forbid")
    inputs: list[TensorSpec] = Field(default_factory=list)
    outputs: list[TensorSpec] = Field(default_factory=list)


class BuildRequirements(Entity):
    """What loads a build (registry.compat; docs/compatibility.md). Empty for builds published before it was
    recorded."""

    model_config = ConfigDict(from_attributes=True, frozen=True, extra="forbid")
    runtimes: dict[str, str] = Field(
        default_factory=dict, description="Minimum version per runtime axis: onnxruntime, litert, qairt."
    )
    reasons: dict[str, str] = Field(default_factory=dict, description="Why each minimum (e.g. 'opset 21').")
    onnx_opsets: dict[str, int] = Field(default_factory=dict, description="Opset per domain ('ai.onnx': 17).")
    onnx_ir_version: int | None = None
    tflite_schema_version: int | None = None
    tflite_min_runtime_version: str | None = Field(default=None, max_length=32)
    qairt_version: str | None = Field(default=None, max_length=64, description="QAIRT/QNN SDK it was compiled with.")
    htp_arch: str | None = Field(default=None, max_length=16, description="Hexagon NPU (HTP) architecture, e.g. V75.")
    table_version: str | None = Field(default=None, description="registry.compat's table version that derived it.")


class BuildInfo(Entity):
    id: int
    model: str
    version: str
    precision: str
    runtime: str
    target: str
    files: list[FileInfo]
    details: dict[str, Any] = Field(default_factory=dict)
    requirements: BuildRequirements = Field(default_factory=BuildRequirements)
    interface: BuildInterface = Field(default_factory=BuildInterface)
    mlflow_model_name: str | None = None
    mlflow_model_version: str | None = None
    created_at: UtcDatetime | None = None
    benchmarks: list[BenchmarkInfo] = Field(default_factory=list)
    evaluations: list[EvaluationInfo] = Field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


class VersionInfo(Entity):
    model: str
    version: str
    status: str
    status_reason: str | None = None
    prerelease: bool = False
    content_digest: str
    source: dict[str, Any] = Field(default_factory=dict)
    mlflow_run_id: str | None = None
    created_at: UtcDatetime | None = None
    aliases: list[str] = Field(default_factory=list)
    build_count: int = 0


class ModelInfo(Entity):
    slug: str
    name: str
    task: str
    domain: str
    license: str
    source_url: str | None = None
    description: str = ""
    weights: str
    card: dict[str, Any] = Field(default_factory=dict)
    latest_version: str | None = None
    aliases: dict[str, str] = Field(default_factory=dict)
    names: list[str] = Field(default_factory=list, description="Other names the model answers to (e.g. yolov8).")


class ModelDetail(Entity):
    model: ModelInfo
    versions: list[VersionInfo]
    version: VersionInfo | None = Field(default=None, description="The version whose builds are listed.")
    builds: list[BuildInfo] = Field(default_factory=list)


class DeviceInfo(Entity):
    chipset: str
    slug: str
    marketing_name: str
    soc_parts: list[str] = Field(default_factory=list)
    world: str = ""
    form_factors: list[str] = Field(default_factory=list)
    npu_arch: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    build_count: int | None = None


class Resolution(Entity):
    """The answer to (model, device, precision, runtime?, version | alias | latest)."""

    model: str
    version: str
    version_status: str
    device: str
    device_slug: str
    precision: str
    runtime: str
    target: str
    build: BuildInfo
    warnings: list[str] = Field(default_factory=list)
    content_digest: str | None = Field(default=None, description="The version's content digest (hex sha256).")
    build_digest: str | None = Field(default=None, description="The build's digest (hex sha256), pinnable.")
    notices: list[str] = Field(default_factory=list, description="e.g. which model another name resolved to.")


class PublishResult(Entity):
    model: str
    version: str
    created: bool = Field(description="False when the same bytes were already published (a no-op).")
    build_ids: list[int]
    blobs_stored: int
    bytes_stored: int
    content_digest: str


class BenchmarkReport(Entity):
    """A latency (and optionally peak memory) a user measured for one build of a version on one device."""

    device: str = Field(description="Any device name, slug or chipset.")
    precision: str
    runtime: str
    latency_ms: float
    memory_mb: float | None = None
    source: str = Field(description="How it was measured (tool, app, phone, settings).")
    component: str | None = None
    force: bool = Field(False, description="Keep a value more than 100x off the estimate.")


class ReportedBenchmark(Entity):
    benchmark: BenchmarkInfo
    estimate_ms: float | None = Field(None, description="The estimate on that device before this report.")
    anchored_estimates: int = Field(0, description="Estimates of the version re-derived from this report.")
