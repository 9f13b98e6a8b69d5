"""The one interface ``registry.Client`` holds: the catalog, embedded (in-process) or over HTTP.

Two small implementations: ``registry.client.embedded.EmbeddedBackend`` (the service layer on a database the
process opens itself) and ``registry.client.http_backend.HttpBackend`` (a ``registry serve`` API). Both return
the same entities and raise the same ``RegistryError`` subclasses; the client code above them (the SDK, the CLI,
the UI, ingest's publish step) never asks which one it has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from registry.vocab import ModelFilter

if TYPE_CHECKING:
    from registry.client.pull import FileRef
    from registry.client.remote import DownloadStats
    from registry.entities import (
        BenchmarkReport,
        BuildInfo,
        DeviceInfo,
        ModelDetail,
        ModelInfo,
        PublishResult,
        ReportedBenchmark,
        VersionInfo,
    )
    from registry.service.audit import AuditEventInfo
    from registry.service.manifest import Manifest
    from registry.service.published import ImportReport
    from registry.service.tokens import TokenInfo

# fetch(file, dest): write a blob's verified bytes at dest (the cache's final path).
Fetch = Callable[["FileRef", Path], None]
# progress(file, bytes_just_received) while a pull downloads.
PullProgress = Callable[["FileRef", int], None]
# progress(path, bytes_just_sent) while a publish uploads.
UploadProgress = Callable[[str, int], None]

# The status changes a version can go through; each is one verb of the lifecycle service and of the API.
STATUS_ACTIONS = ("deprecate", "yank", "restore")


@dataclass(frozen=True)
class ResolveQuery:
    model: str
    device: str
    precision: str
    runtime: str | None = None
    version: str | None = None
    alias: str | None = None
    # {"onnxruntime": "1.20"}: only builds that load there (registry.compat).
    runtime_versions: dict[str, str] | None = None

    def params(self) -> dict[str, str | None]:
        from registry.compat import constraint_text

        return {
            "model": self.model,
            "device": self.device,
            "precision": self.precision,
            "runtime": self.runtime,
            "version": self.version,
            "alias": self.alias,
            "runtime_version": constraint_text(self.runtime_versions) if self.runtime_versions else None,
        }


class CatalogBackend(Protocol):
    """Every catalog operation the client needs, whichever side of HTTP the catalog is on."""

    remote: bool  # True over HTTP (offline mode applies); False in-process
    origin: str  # the server URL or the database URL: keys the cached pull answers, names the catalog in messages

    def search(self, query: ModelFilter, limit: int, cursor: str | None) -> tuple[list[ModelInfo], str | None]: ...

    def model(self, name: str, version: str | None) -> ModelDetail: ...

    def build(self, build_id: int) -> BuildInfo: ...

    def devices(self) -> list[DeviceInfo]: ...

    def device(self, name: str) -> DeviceInfo: ...

    def resolve(self, query: ResolveQuery) -> dict[str, Any]:
        """The resolution as JSON (``Resolution``'s shape), what pull, lock and sync work from."""
        ...

    def pull_stamp(self) -> str | None:
        """An identity of the catalog's current state cheap enough to check before resolving (an embedded
        SQLite file's stat), or None when a pull must always ask."""
        ...

    def fetcher(self, downloads: dict[str, DownloadStats], progress: PullProgress | None) -> Fetch: ...

    def publish(self, directory: Path, manifest: Manifest, progress: UploadProgress | None) -> PublishResult: ...

    def set_alias(self, model: str, alias: str, version: str) -> VersionInfo: ...

    def delete_alias(self, model: str, alias: str) -> None: ...

    def set_status(self, action: str, model: str, version: str, reason: str | None) -> VersionInfo: ...

    def audit(self, limit: int, action: str | None, target: str | None) -> list[AuditEventInfo]:
        """The audit log, newest first."""
        ...

    def link_mlflow(self, model: str, version: str, run_id: str, registered_model: str, builds: dict[int, str]) -> None:
        """Record the MLflow run of a version and the MLflow model version of each build."""
        ...

    def add_benchmark(self, model: str, version: str, report: BenchmarkReport) -> ReportedBenchmark:
        """A latency the user measured on a device (``measured-device``, reported by them); anchors estimates."""
        ...

    def import_published(self, perf_csv: Path, numerics_csv: Path | None) -> ImportReport: ...

    def create_token(self, scope: str, name: str) -> tuple[str, TokenInfo]: ...

    def list_tokens(self) -> list[TokenInfo]: ...

    def revoke_token(self, token_id: int) -> TokenInfo: ...

    def info(self) -> dict[str, Any]:
        """The catalog's version and ``mlflow_tracking_uri`` (a server's ``GET /v1/info``)."""
        ...

    def whoami(self) -> dict[str, Any]:
        """Where this client points and as whom: ``url``, ``token_name``, ``scope`` (and the MLflow URI)."""
        ...

    def close(self) -> None: ...
