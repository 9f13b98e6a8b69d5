"""The publish manifest: what a directory of build files is, and the checks on it.

A manifest is ``manifest.yaml`` (or ``.json``) at the root of a publish directory; the README documents
it. Every path is relative to that directory and may not leave it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from registry import validation as V
from registry.entities import BuildInterface, BuildRequirements
from registry.errors import InvalidManifest, UnsafePath
from registry.paths import safe_relative_path
from registry.vocab import (
    CHIPSET_SPECIFIC_RUNTIMES,
    ESTIMATED,
    MEASURED_DEVICE,
    MEASURED_HOST,
    PORTABLE_TARGET,
    SemVer,
    check_slug,
    normalize_precision,
    normalize_runtime,
)

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json")
# libyaml's C loader and dumper when PyYAML was built with it: the same YAML (byte-identical on the zoo's manifests),
# loaded 6x and written 4.5x faster than pure Python (an ingest's manifest lists an estimate per build and device:
# 90-450 kB for the zoo's models).
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_manifest_yaml(data: Any) -> str:
    """``data`` as manifest YAML (keys in the order given)."""
    return str(yaml.dump(data, Dumper=_YAML_DUMPER, sort_keys=False))


Provenance = Literal["measured-device", "measured-host", "estimated", "published"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelCard(Strict):
    slug: str = Field(max_length=V.MAX_SLUG, json_schema_extra={"pattern": V.SLUG_PATTERN})
    name: str = Field(max_length=V.MAX_NAME)
    task: str = Field(max_length=V.MAX_LABEL)
    domain: str = Field(max_length=V.MAX_LABEL)
    license: str = Field(max_length=V.MAX_LABEL)
    source_url: str | None = Field(default=None, max_length=V.MAX_URL)
    description: str = ""
    weights: Literal["real", "trained-here", "random"] = "real"
    card: dict[str, Any] = Field(default_factory=dict)
    names: list[str] = Field(default_factory=list, description="Other names the model answers to, e.g. yolov8.")

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        return check_slug(v)

    @field_validator("names")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(check_slug(n) for n in v))


class ManifestFile(Strict):
    path: str = Field(min_length=1, max_length=V.MAX_PATH)
    sha256: str | None = Field(default=None, pattern=V.SHA256_PATTERN)
    size: int | None = Field(default=None, ge=0, le=2**63 - 1)
    component: str | None = Field(default=None, max_length=V.MAX_COMPONENT)

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return safe_relative_path(v)


class BenchmarkEntry(Strict):
    device: str | None = Field(
        default=None, max_length=V.MAX_DEVICE, description="Any device name; None for measured-host."
    )
    provenance: Provenance
    source: str = Field(min_length=1, max_length=V.MAX_SOURCE)
    component: str | None = Field(default=None, max_length=V.MAX_COMPONENT)
    latency_ms: float | None = Field(default=None, ge=0)
    latency_p90_ms: float | None = Field(default=None, ge=0)
    peak_memory_mb: float | None = Field(default=None, ge=0)
    error_pct: float | None = Field(default=None, ge=0)
    compute_units: dict[str, Any] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _provenance_rules(self) -> BenchmarkEntry:
        if self.provenance == ESTIMATED and self.error_pct is None:
            raise ValueError("an estimated benchmark needs error_pct (the estimator's validated error)")
        if self.provenance in (MEASURED_DEVICE, ESTIMATED) and self.device is None:
            raise ValueError(f"a {self.provenance} benchmark needs a device")
        return self


class EvaluationEntry(Strict):
    dataset: str = Field(max_length=V.MAX_NAME)
    metric: str = Field(max_length=V.MAX_LABEL)
    value: float
    kind: Literal["accuracy", "fidelity"] = "accuracy"
    reference_value: float | None = None
    sample_count: int = Field(ge=1, le=V.MAX_VERSION_PART)
    higher_is_better: bool = True
    # The value's scale; left out, it is read from the metric's name and value (registry.vocab.evaluation_unit).
    unit: Literal["fraction", "percent", "cosine", "dB", "score"] | None = None
    provenance: Provenance = MEASURED_HOST
    source: str = Field(min_length=1, max_length=V.MAX_SOURCE)
    device: str | None = Field(default=None, max_length=V.MAX_DEVICE)
    component: str | None = Field(default=None, max_length=V.MAX_COMPONENT)
    details: dict[str, Any] = Field(default_factory=dict)


class ManifestBuild(Strict):
    precision: str = Field(max_length=32)
    runtime: str = Field(max_length=32)
    target: str = Field(default=PORTABLE_TARGET, max_length=V.MAX_DEVICE)
    files: list[ManifestFile] = Field(min_length=1)
    details: dict[str, Any] = Field(default_factory=dict)
    requirements: BuildRequirements = Field(default_factory=BuildRequirements, description="docs/compatibility.md")
    interface: BuildInterface = Field(default_factory=BuildInterface)
    benchmarks: list[BenchmarkEntry] = Field(default_factory=list)
    evaluations: list[EvaluationEntry] = Field(default_factory=list)

    @field_validator("precision")
    @classmethod
    def _precision(cls, v: str) -> str:
        return normalize_precision(v)

    @field_validator("runtime")
    @classmethod
    def _runtime(cls, v: str) -> str:
        return normalize_runtime(v)

    @model_validator(mode="after")
    def _checks(self) -> ManifestBuild:
        paths = [f.path for f in self.files]
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        if dupes:
            raise ValueError(f"file paths listed twice: {', '.join(dupes)}")
        if self.runtime in CHIPSET_SPECIFIC_RUNTIMES and self.target == PORTABLE_TARGET:
            raise ValueError(f"runtime {self.runtime} is chipset-specific: give a device as target, not 'any'")
        if self.runtime not in CHIPSET_SPECIFIC_RUNTIMES and self.target != PORTABLE_TARGET:
            raise ValueError(f"runtime {self.runtime} is portable: its target must be 'any'")
        return self

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.precision, self.runtime, self.target)


class Manifest(Strict):
    model: ModelCard
    # The pattern is declared for the schema; the validator below checks it with a message that says why.
    version: str = Field(max_length=V.MAX_VERSION, json_schema_extra={"pattern": V.SEMVER_PATTERN})
    source: dict[str, Any] = Field(default_factory=dict)
    builds: list[ManifestBuild] = Field(min_length=1)

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        return str(SemVer.parse(v))

    @model_validator(mode="after")
    def _unique_builds(self) -> Manifest:
        keys = [b.key for b in self.builds]
        dupes = sorted({"/".join(k) for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"builds listed twice (precision/runtime/target): {', '.join(dupes)}")
        return self


def contained_file(directory: Path, rel: str) -> Path:
    """``directory/rel`` as a regular file whose real path stays inside ``directory`` (symlinks resolved)."""
    root = directory.resolve()
    candidate = root / safe_relative_path(rel)
    real = candidate.resolve()
    if not real.is_relative_to(root):
        raise UnsafePath(
            f"File '{rel}' resolves outside the publish directory ({real}).",
            hint="Copy the file into the directory instead of linking to it.",
        )
    if not real.exists():
        raise InvalidManifest(
            f"File '{rel}' listed in the manifest does not exist in {root}.",
            hint="Add the file or remove it from the manifest.",
        )
    if not real.is_file():
        raise InvalidManifest(f"'{rel}' is not a regular file.", hint="List files, not directories.")
    return real


def parse_manifest(data: Any, origin: str = "manifest") -> Manifest:
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise InvalidManifest(
            f"{origin}: {where}: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""),
            hint="See 'Publishing' in the README for the manifest format.",
        ) from exc


def load_manifest(directory: Path, manifest_path: Path | None = None) -> Manifest:
    if not directory.is_dir():
        raise InvalidManifest(f"'{directory}' is not a directory.", hint="Give the directory holding the build files.")
    if manifest_path is None:
        found = [directory / n for n in MANIFEST_NAMES if (directory / n).is_file()]
        if not found:
            raise InvalidManifest(
                f"No manifest in {directory}.",
                hint=f"Write one of {', '.join(MANIFEST_NAMES)} (see the README).",
            )
        manifest_path = found[0]
    try:
        text = manifest_path.read_text(encoding="utf-8")
        data = json.loads(text) if manifest_path.suffix == ".json" else yaml.load(text, Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidManifest(
            f"Cannot read manifest {manifest_path}: {exc}".splitlines()[0],
            hint="Fix the file's syntax (YAML or JSON).",
        ) from exc
    return parse_manifest(data, origin=str(manifest_path.name))
