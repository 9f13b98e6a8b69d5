"""``registry.Client``: one Python API over the catalog, embedded or on a team's server.

The client holds one ``CatalogBackend`` (``registry/client/backend.py``): ``EmbeddedBackend`` (the service layer on
a database this process opens) or ``HttpBackend`` (``registry serve``), chosen by ``url`` / ``REGISTRY_URL`` / the
server saved by ``registry login``. Both return the same entities (``registry.entities``) and raise the
same ``RegistryError`` subclasses. The CLI, the UI and ingest's publish step all go through this class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.client.backend import CatalogBackend, PullProgress, ResolveQuery, UploadProgress
from registry.client.remote import DownloadStats
from registry.errors import OfflineError
from registry.settings import Settings, get_settings
from registry.vocab import ModelFilter

if TYPE_CHECKING:
    import httpx

    from registry.client.cache import Cache
    from registry.client.pull import CachedFile, FileRef
    from registry.embedded import EmbeddedCatalog
    from registry.entities import (
        BuildInfo,
        DeviceInfo,
        ModelDetail,
        ModelInfo,
        PublishResult,
        ReportedBenchmark,
        Resolution,
        VersionInfo,
    )
    from registry.service.audit import AuditEventInfo
    from registry.service.manifest import Manifest
    from registry.service.published import ImportReport
    from registry.service.tokens import TokenInfo

__all__ = ["Client", "PullProgress", "PullResult", "SearchPage", "UploadProgress"]


@dataclass(frozen=True)
class SearchPage:
    items: list[ModelInfo]
    next_cursor: str | None


@dataclass(frozen=True)
class PullResult:
    """What ``Client.pull`` fetched: the resolved build and its verified local files."""

    model: str
    version: str
    device: str
    device_slug: str
    precision: str
    runtime: str
    target: str
    build: int
    warnings: list[str]
    files: list[CachedFile]
    requests: int = 0  # network requests made for the resolution (0 offline or embedded, 1 otherwise)
    downloads: dict[str, DownloadStats] = field(default_factory=dict)  # by sha256, only blobs fetched now
    notices: list[str] = field(default_factory=list)  # e.g. "'yolov8' is a name of yolov8n: using yolov8n."

    @property
    def paths(self) -> list[Path]:
        return [f.local_path for f in self.files]

    def to_json(self) -> dict[str, Any]:
        """The shape ``registry pull --json`` prints (identical for the embedded catalog and a server)."""
        return {
            "model": self.model,
            "version": self.version,
            "device": self.device,
            "device_slug": self.device_slug,
            "precision": self.precision,
            "runtime": self.runtime,
            "target": self.target,
            "build": self.build,
            "warnings": list(self.warnings),
            "notices": list(self.notices),
            "files": [
                {
                    "path": str(f.local_path),
                    "name": f.path,
                    "sha256": f.sha256,
                    "size": f.size,
                    "component": f.component,
                }
                for f in self.files
            ],
        }


class Client:
    """The catalog as Python calls.

    ``url`` (default ``REGISTRY_URL``, else the server saved by ``registry login``) selects a server; without
    one the embedded catalog (``REGISTRY_DATABASE_URL``/``REGISTRY_HOME``) is used. ``token`` (default
    ``REGISTRY_TOKEN``, else the one saved for that server) is sent as a bearer token. ``offline`` (default
    ``REGISTRY_OFFLINE``) forbids every network call.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        offline: bool | None = None,
        timeout: float = 30.0,
        settings: Settings | None = None,
        backend: CatalogBackend | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.url = (url or self.settings.url or "").rstrip("/") or None
        self.token = token or self._saved_token(url)
        self.offline = self.settings.offline if offline is None else offline
        self.timeout = timeout
        self._backend = backend

    @classmethod
    def embedded(cls, catalog: EmbeddedCatalog) -> Client:
        """A client over a catalog this process already opened (ingest, tests)."""
        from registry.client.embedded import EmbeddedBackend

        return cls(settings=catalog.settings, backend=EmbeddedBackend(catalog.settings, catalog))

    def _saved_token(self, url: str | None) -> str | None:
        if url is None or url.rstrip("/") == (self.settings.url or "").rstrip("/"):
            return self.settings.token
        from registry import credentials

        _, entry = credentials.saved_server(self.settings.config_dir or credentials.default_config_dir(), url)
        token: str | None = entry.get("token")
        return token

    @property
    def backend(self) -> CatalogBackend:
        if self._backend is None:
            if self.url:
                from registry.client.http_backend import HttpBackend

                self._backend = HttpBackend(self.url, self.token, offline=self.offline, timeout=self.timeout)
            else:
                from registry.client.embedded import EmbeddedBackend

                self._backend = EmbeddedBackend(self.settings)
        return self._backend

    # -- reads (open to anyone unless the server sets REGISTRY_PUBLIC_READ=false) --------------------------

    def search(
        self,
        text: str | None = None,
        *,
        task: str | None = None,
        domain: str | None = None,
        device: str | None = None,
        precision: str | None = None,
        runtime: str | None = None,
        license: str | None = None,
        max_latency_ms: float | None = None,
        min_accuracy: float | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> SearchPage:
        """One page of models matching every given filter; pass ``next_cursor`` back for the next page."""
        query = ModelFilter(task, domain, device, precision, runtime, license, text, max_latency_ms, min_accuracy)
        items, next_cursor = self.backend.search(query, limit, cursor)
        return SearchPage(items, next_cursor)

    def search_all(self, text: str | None = None, **filters: Any) -> list[ModelInfo]:
        """Every matching model, following the pages."""
        found: list[ModelInfo] = []
        cursor: str | None = None
        while True:
            page = self.search(text, limit=500, cursor=cursor, **filters)
            found += page.items
            if not page.next_cursor:
                return found
            cursor = page.next_cursor

    def model(self, name: str, version: str | None = None) -> ModelDetail:
        """A model with its versions, and the builds of ``version`` (default: the latest)."""
        return self.backend.model(name, version)

    def build(self, build_id: int) -> BuildInfo:
        return self.backend.build(build_id)

    def devices(self) -> list[DeviceInfo]:
        """Every catalog device (chipset) with its facts and build count."""
        return self.backend.devices()

    def device(self, name: str) -> DeviceInfo:
        """A device by any name people use for it (slug, chipset, SoC part, marketing or phone name)."""
        return self.backend.device(name)

    def resolve(
        self,
        model: str,
        *,
        device: str,
        precision: str,
        runtime: str | None = None,
        version: str | None = None,
        alias: str | None = None,
        runtime_versions: Mapping[str, str] | Iterable[str] | None = None,
    ) -> Resolution:
        """The one build for (model, device, precision[, runtime]) at a version, an alias, or the latest; with
        ``runtime_versions`` the one that loads on those runtimes (see ``pull``)."""
        from registry.entities import Resolution

        data = self.resolve_json(model, device, precision, runtime, version, alias, runtime_versions)
        return Resolution.model_validate(data)

    def resolve_json(
        self,
        model: str,
        device: str,
        precision: str,
        runtime: str | None = None,
        version: str | None = None,
        alias: str | None = None,
        runtime_versions: Mapping[str, str] | Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """``resolve`` as plain JSON (what ``registry lock`` records)."""
        from registry.compat import parse_runtime_versions

        constraints = parse_runtime_versions(runtime_versions) or None
        return self.backend.resolve(ResolveQuery(model, device, precision, runtime, version, alias, constraints))

    def server_info(self) -> dict[str, Any]:
        """The server's version and the MLflow tracking URI it advertises (``mlflow_tracking_uri``)."""
        return self.backend.info()

    def whoami(self) -> dict[str, Any]:
        """The server (``url``), the token's ``token_name`` and ``scope``; for the embedded catalog, its URL."""
        return self.backend.whoami()

    # -- pull ----------------------------------------------------------------------------------------------

    def pull(
        self,
        model: str,
        device: str,
        precision: str,
        runtime: str | None = None,
        version: str | None = None,
        alias: str | None = None,
        out_dir: Path | None = None,
        *,
        progress: PullProgress | None = None,
        expect: Callable[[dict[str, Any]], None] | None = None,
        link: bool = False,
        runtime_versions: Mapping[str, str] | Iterable[str] | None = None,
    ) -> PullResult:
        """Fetch the build of ``model`` for a device and precision into the cache, verified; ``.paths`` are
        the local files (snapshot links, or under ``out_dir`` copies: hard links to the read-only cached blobs with
        ``link``). A cached blob changed since it was hashed is hashed again; damaged, it is fetched again (offline:
        an ``IntegrityFailure``), never returned. ``expect(resolution)`` is called
        with the resolution (as JSON) before any byte is fetched and may raise to stop the pull.

        From a server: one resolve request, then only the blobs not yet cached are downloaded (resuming a
        partial file with ``Range``). Offline (``REGISTRY_OFFLINE=1``): no network at all; the answer comes from
        the cache or an ``OfflineError`` says what is missing. From the embedded SQLite catalog, a repeated pull
        whose catalog files have not changed answers without opening the database.

        ``runtime_versions`` (``{"onnxruntime": "1.20"}`` or ``["onnxruntime=1.20"]``; axes onnxruntime, litert,
        qairt) states the runtimes the app ships: only a build that loads there is pulled (another build of the
        request when one does), else ``RuntimeIncompatible`` says what the build needs (docs/compatibility.md).
        Offline, a cached answer is checked the same way."""
        if version and alias:
            from registry.errors import InvalidInput

            raise InvalidInput("Give a version or an alias, not both.", hint="Drop one of version= and alias=.")
        from registry import compat
        from registry.client import fastpath
        from registry.client.cache import Cache
        from registry.client.pull import materialize

        constraints = compat.parse_runtime_versions(runtime_versions)
        backend = self.backend
        cache = Cache(self.settings.cache_dir)
        key = fastpath.request_key(
            backend.origin, model, device, precision, runtime, version, alias, compat.constraint_text(constraints)
        )
        downloads: dict[str, DownloadStats] = {}
        fetch = backend.fetcher(downloads, progress)
        stamp = None if backend.remote else backend.pull_stamp()
        entry = fastpath.load(cache.root, key, stamp) if stamp else None
        requests = 0
        if entry is not None:
            data: dict[str, Any] = entry["resolution"]
        elif backend.remote and self.offline:
            data = _offline_resolution(cache, key, model, device, precision, runtime, version, alias)
            fetch = _no_fetch
        else:
            data = backend.resolve(ResolveQuery(model, device, precision, runtime, version, alias, constraints or None))
            requests = int(backend.remote)
            if backend.remote:  # offline, the names the server answered to resolve as they did online
                from registry.client.offline import remember_name

                remember_name(cache, model, data["model"])
        compat.check_resolution(data, constraints)  # a cached or offline answer is held to the same constraints
        if expect is not None:
            expect(data)
        files = materialize(data, cache, fetch, out_dir=out_dir, link=link)
        if alias:
            cache.write_ref(data["model"], alias, data["version"])
        if entry is None:
            entry_files = [{"path": str(cache.blob_path(data["model"], f.sha256)), "size": f.size} for f in files]
            save_stamp = _REMOTE_STAMP if backend.remote else stamp
            # An embedded answer is kept only if the catalog did not change while it was read.
            if save_stamp is not None and (backend.remote or save_stamp == backend.pull_stamp()):
                fastpath.save(cache.root, key, save_stamp, {"resolution": data, "files": entry_files})
        return _result(data, files, requests, downloads)

    # -- writes (over HTTP, a bearer token with the 'publish' scope; 'admin' to yank and for tokens) ---------

    def publish(
        self,
        directory: Path | str,
        manifest: Path | Manifest | None = None,
        *,
        progress: UploadProgress | None = None,
    ) -> PublishResult:
        """Publish the version a directory's manifest describes: blobs first (to a server, only those it lacks,
        streamed from disk), then the version. Publishing the same bytes again is a no-op (``created`` False).
        ``manifest``: the manifest file (default: the directory's), or a ``Manifest`` already parsed."""
        from registry.service.manifest import Manifest, load_manifest

        directory = Path(directory)
        parsed = manifest if isinstance(manifest, Manifest) else load_manifest(directory, manifest)
        return self.backend.publish(directory, parsed, progress)

    def set_alias(self, model: str, alias: str, version: str) -> VersionInfo:
        """Point ``alias`` (e.g. stable) of ``model`` at ``version``."""
        return self.backend.set_alias(model, alias, version)

    def delete_alias(self, model: str, alias: str) -> None:
        self.backend.delete_alias(model, alias)

    def deprecate(self, model: str, version: str, reason: str | None = None) -> VersionInfo:
        """Still resolvable (with a warning) but no longer 'latest'."""
        return self.backend.set_status("deprecate", model, version, reason)

    def yank(self, model: str, version: str, reason: str | None = None) -> VersionInfo:
        """Pullable only by exact pin (with a warning); needs an 'admin' token over HTTP."""
        return self.backend.set_status("yank", model, version, reason)

    def restore(self, model: str, version: str, reason: str | None = None) -> VersionInfo:
        """Active again: from deprecated ('publish'), or from yanked ('admin', and a reason is required)."""
        return self.backend.set_status("restore", model, version, reason)

    def audit(self, *, limit: int = 100, action: str | None = None, target: str | None = None) -> list[AuditEventInfo]:
        """The audit log, newest first (an 'admin' token over HTTP)."""
        return self.backend.audit(limit, action, target)

    def link_mlflow(self, model: str, version: str, run_id: str, registered_model: str, builds: dict[int, str]) -> None:
        """Record the MLflow run of a version and the MLflow model version of each build (ingest does this)."""
        self.backend.link_mlflow(model, version, run_id, registered_model, builds)

    def import_published(self, perf_csv: Path, numerics_csv: Path | None = None) -> ImportReport:
        """Attach Qualcomm's published AI Hub figures (provenance ``published``) to the catalog's models."""
        return self.backend.import_published(perf_csv, numerics_csv)

    def create_token(self, scope: str, name: str = "") -> tuple[str, TokenInfo]:
        """A new token (shown once) and its record; over HTTP needs an 'admin' token."""
        return self.backend.create_token(scope, name)

    def list_tokens(self) -> list[TokenInfo]:
        return self.backend.list_tokens()

    def revoke_token(self, token_id: int) -> TokenInfo:
        return self.backend.revoke_token(token_id)

    def add_benchmark(
        self,
        model: str,
        version: str,
        *,
        device: str,
        precision: str,
        runtime: str,
        latency_ms: float,
        source: str,
        memory_mb: float | None = None,
        component: str | None = None,
        force: bool = False,
    ) -> ReportedBenchmark:
        """Report a latency you measured for a build of ``model@version`` on ``device`` (``measured-device``, shown
        as reported by you: your token's name over HTTP, ``local:<user>`` on a local catalog). It anchors the
        version's estimates; a value over 100x off the estimate is refused unless ``force``."""
        from registry.entities import BenchmarkReport

        report = BenchmarkReport(
            device=device,
            precision=precision,
            runtime=runtime,
            latency_ms=latency_ms,
            memory_mb=memory_mb,
            source=source,
            component=component,
            force=force,
        )
        return self.backend.add_benchmark(model, version, report)

    # -- plumbing ------------------------------------------------------------------------------------------

    def http(self) -> httpx.Client:
        """The server's shared HTTP connection pool (the UI streams downloads through it)."""
        from registry.client.http_backend import HttpBackend

        backend = self.backend
        if not isinstance(backend, HttpBackend):
            from registry.errors import InvalidInput

            raise InvalidInput("This client uses the embedded catalog, not a server.", hint="Give url=.")
        return backend.http()

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_REMOTE_STAMP = "remote"


def _no_fetch(f: FileRef, dest: Path) -> None:
    raise OfflineError(
        f"REGISTRY_OFFLINE is set and blob {f.sha256[:12]} of '{f.path}' is not in the cache.",
        hint="Unset REGISTRY_OFFLINE and pull once online.",
    )


def _result(
    data: dict[str, Any], files: list[CachedFile], requests: int, downloads: dict[str, DownloadStats]
) -> PullResult:
    return PullResult(
        model=data["model"],
        version=data["version"],
        device=data["device"],
        device_slug=data["device_slug"],
        precision=data["precision"],
        runtime=data["runtime"],
        target=data["target"],
        build=int(data["build"]["id"]),
        warnings=list(data.get("warnings") or []),
        files=files,
        requests=requests,
        downloads=downloads,
        notices=list(data.get("notices") or []),
    )


def _offline_resolution(
    cache: Cache,
    key: str,
    model: str,
    device: str,
    precision: str,
    runtime: str | None,
    version: str | None,
    alias: str | None,
) -> dict[str, Any]:
    """Answer a pull from the cache alone: the same request pulled before, else a cached snapshot whose
    recorded resolution matches (device by name or slug, precision, runtime, version or alias)."""
    from registry.client import fastpath

    entry = fastpath.load(cache.root, key, _REMOTE_STAMP)
    if entry is not None:
        data: dict[str, Any] = entry["resolution"]
        return data
    from registry.client.offline import resolve_cached

    found = resolve_cached(cache, model, device, precision, runtime, version, alias)
    if found is not None:
        return found
    what = f"{model} for {device}, {precision}" + (f", {runtime}" if runtime else "")
    what += f" at {version}" if version else (f" via alias {alias}" if alias else "")
    raise OfflineError(
        f"REGISTRY_OFFLINE is set and no build of {what} is in the cache ({cache.root}).",
        hint="Unset REGISTRY_OFFLINE, or pull it once online so the cache has it.",
    )
