"""``registry.Client``: one Python API over the catalog, remote (``url``/``REGISTRY_URL``) or local.

Remote calls go over HTTP to ``registry serve``; the local mode opens the embedded catalog directly. Both
return the same entities (``registry.service.entities``) and raise the same ``RegistryError`` subclasses: the
API's JSON error ``code`` is mapped back to the class the service raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.client.remote import DownloadStats
from registry.errors import OfflineError, RegistryError
from registry.settings import Settings, get_settings

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.orm import Session

    from registry.client.cache import Cache
    from registry.client.pull import FileRef, PulledFile
    from registry.local import LocalCatalog
    from registry.service.audit import AuditEventInfo
    from registry.service.entities import (
        BuildInfo,
        DeviceInfo,
        ModelDetail,
        ModelInfo,
        PublishResult,
        Resolution,
        VersionInfo,
    )

# progress(file, bytes_just_received) while a pull downloads.
PullProgress = Callable[["FileRef", int], None]


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
    files: list[PulledFile]
    requests: int = 0  # network requests made for the resolution (0 offline or local, 1 otherwise)
    downloads: dict[str, DownloadStats] = field(default_factory=dict)  # by sha256, only blobs fetched now

    @property
    def paths(self) -> list[Path]:
        return [f.local_path for f in self.files]

    def to_json(self) -> dict[str, Any]:
        """The shape ``registry pull --json`` prints (identical for the local catalog and a server)."""
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

    ``url`` (default ``REGISTRY_URL``) selects a remote service; without one the local catalog
    (``REGISTRY_DATABASE_URL``/``REGISTRY_HOME``) is used. ``token`` (default ``REGISTRY_TOKEN``) is sent as a
    bearer token. ``offline`` (default ``REGISTRY_OFFLINE``) forbids every network call.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        offline: bool | None = None,
        timeout: float = 30.0,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.url = (url or self.settings.url or "").rstrip("/") or None
        self.token = token or self.settings.token
        self.offline = self.settings.offline if offline is None else offline
        self.timeout = timeout
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()
        self._local: LocalCatalog | None = None

    # -- reads ---------------------------------------------------------------------------------------------

    def search(
        self,
        *,
        text: str | None = None,
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
        params: dict[str, Any] = {
            "q": text,
            "task": task,
            "domain": domain,
            "device": device,
            "precision": precision,
            "runtime": runtime,
            "license": license,
            "max_latency_ms": max_latency_ms,
            "min_accuracy": min_accuracy,
            "limit": limit,
            "cursor": cursor,
        }
        if self.url:
            from registry.service.entities import ModelInfo

            data = self._get("/v1/models", params)
            return SearchPage([ModelInfo.model_validate(i) for i in data["items"]], data.get("next_cursor"))
        from registry.service.catalog import ModelFilter, search_page

        flt = ModelFilter(
            task=task,
            domain=domain,
            device=device,
            precision=precision,
            runtime=runtime,
            license=license,
            text=text,
            max_latency_ms=max_latency_ms,
            min_accuracy=min_accuracy,
        )
        with self._session() as s:
            items, next_cursor = search_page(s, flt, limit=limit, cursor=cursor)
        return SearchPage(items, next_cursor)

    def model(self, name: str, version: str | None = None) -> ModelDetail:
        """A model with its versions, and the builds of ``version`` (default: the latest)."""
        if self.url:
            from registry.service.entities import ModelDetail

            path = f"/v1/models/{_seg(name)}" + (f"/versions/{_seg(version)}" if version else "")
            return ModelDetail.model_validate(self._get(path))
        from registry.service.catalog import show_model

        with self._session() as s:
            return show_model(s, name, version)

    def build(self, build_id: int) -> BuildInfo:
        if self.url:
            from registry.service.entities import BuildInfo

            return BuildInfo.model_validate(self._get(f"/v1/builds/{int(build_id)}"))
        from registry.service.catalog import get_build

        with self._session() as s:
            return get_build(s, build_id)

    def devices(self) -> list[DeviceInfo]:
        """Every catalog device (chipset) with its facts and build count."""
        if self.url:
            from registry.service.entities import DeviceInfo

            return [DeviceInfo.model_validate(d) for d in self._get("/v1/devices")]
        from registry.service.catalog import list_devices

        with self._session() as s:
            return list_devices(s, with_counts=True)

    def device(self, name: str) -> DeviceInfo:
        """A device by any name people use for it (slug, chipset, SoC part, marketing or phone name)."""
        if self.url:
            from registry.service.entities import DeviceInfo

            return DeviceInfo.model_validate(self._get(f"/v1/devices/{_seg(name)}"))
        from registry.service.catalog import get_device

        with self._session() as s:
            return get_device(s, name)

    def resolve(
        self,
        model: str,
        *,
        device: str,
        precision: str,
        runtime: str | None = None,
        version: str | None = None,
        alias: str | None = None,
    ) -> Resolution:
        """The one build for (model, device, precision[, runtime]) at a version, an alias, or the latest."""
        if self.url:
            params = {
                "model": model,
                "device": device,
                "precision": precision,
                "runtime": runtime,
                "version": version,
                "alias": alias,
            }
            from registry.service.entities import Resolution

            return Resolution.model_validate(self._get("/v1/resolve", params))
        from registry.service.resolve import resolve

        with self._session() as s:
            return resolve(s, model, device, precision, runtime=runtime, version=version, alias=alias)

    def resolve_json(
        self,
        model: str,
        device: str,
        precision: str,
        runtime: str | None = None,
        version: str | None = None,
        alias: str | None = None,
    ) -> dict[str, Any]:
        """``resolve`` as plain JSON (what ``registry lock`` records)."""
        if self.url and not self.offline:
            from registry.client import remote

            params = {
                "model": model,
                "device": device,
                "precision": precision,
                "runtime": runtime,
                "version": version,
                "alias": alias,
            }
            return remote.get_json(self.url, "/v1/resolve", params, token=self.token, timeout=self.timeout)
        if self.url:
            raise OfflineError(
                f"REGISTRY_OFFLINE is set, so {self.url} cannot be asked to resolve {model}.",
                hint="Unset REGISTRY_OFFLINE to resolve against the registry.",
            )
        return self.resolve(
            model, device=device, precision=precision, runtime=runtime, version=version, alias=alias
        ).model_dump(mode="json")

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
    ) -> PullResult:
        """Fetch the build of ``model`` for a device and precision into the cache, verified; ``.paths`` are
        the local files (snapshot links, or real files under ``out_dir``). ``expect(resolution)`` is called
        with the resolution (as JSON) before any byte is fetched and may raise to stop the pull.

        Remote: one resolve request, then only the blobs not yet cached are downloaded (resuming a partial
        file with ``Range``). Offline (``REGISTRY_OFFLINE=1``): no network at all; the answer comes from the
        cache or an ``OfflineError`` says what is missing."""
        if version and alias:
            from registry.errors import InvalidInput

            raise InvalidInput("Give a version or an alias, not both.", hint="Drop one of version= and alias=.")
        from registry.client import fastpath
        from registry.client.cache import Cache
        from registry.client.pull import materialize

        cache = Cache(self.settings.cache_dir)
        if not self.url:
            return self._pull_local(cache, model, device, precision, runtime, version, alias, out_dir, expect)
        key = fastpath.request_key(self.url, model, device, precision, runtime, version, alias)
        requests = 0
        downloads: dict[str, DownloadStats] = {}
        if self.offline:
            data = _offline_resolution(cache, key, model, device, precision, runtime, version, alias)
            fetch: Callable[[FileRef, Path], None] = _no_fetch
        else:
            from registry.client import remote

            params = {
                "model": model,
                "device": device,
                "precision": precision,
                "runtime": runtime,
                "version": version,
                "alias": alias,
            }
            data = remote.get_json(self.url, "/v1/resolve", params, token=self.token, timeout=self.timeout)
            requests = 1
            fetch = self._fetcher(downloads, progress)
        if expect is not None:
            expect(data)
        files = materialize(data, cache, fetch, out_dir=out_dir)
        if alias:
            cache.write_ref(data["model"], alias, data["version"])
        entry_files = [{"path": str(cache.blob_path(data["model"], f.sha256)), "size": f.size} for f in files]
        fastpath.save(cache.root, key, _REMOTE_STAMP, {"resolution": data, "files": entry_files})
        return _result(data, files, requests, downloads)

    def _fetcher(
        self, downloads: dict[str, DownloadStats], progress: PullProgress | None
    ) -> Callable[[FileRef, Path], None]:
        from registry.client.remote import download_blob

        def fetch(f: FileRef, dest: Path) -> None:
            url = f.url or f"{self.url}/v1/blobs/{f.sha256}"
            on_bytes = (lambda n: progress(f, n)) if progress else None
            downloads[f.sha256] = download_blob(
                url,
                f.sha256,
                f.size,
                dest,
                api_url=self.url,
                token=self.token,
                progress=on_bytes,
                timeout=self.timeout,
            )

        return fetch

    def _pull_local(
        self,
        cache: Cache,
        model: str,
        device: str,
        precision: str,
        runtime: str | None,
        version: str | None,
        alias: str | None,
        out_dir: Path | None,
        expect: Callable[[dict[str, Any]], None] | None,
    ) -> PullResult:
        from registry.client.pull import materialize
        from registry.service.resolve import resolve

        with self._session() as s:
            r = resolve(s, model, device, precision, runtime=runtime, version=version, alias=alias)
        if expect is not None:
            expect(r.model_dump(mode="json"))
        assert self._local is not None
        store = self._local.store
        files = materialize(r, cache, lambda f, dest: store.copy_to(f.sha256, dest, verify=True), out_dir=out_dir)
        if alias:
            cache.write_ref(r.model, alias, r.version)
        return _result(r.model_dump(mode="json"), files, 0, {})

    # -- writes (a bearer token with the 'publish' scope; 'admin' to yank) -------------------------------

    def publish(self, directory: Path | str, manifest: Path | None = None) -> PublishResult:
        """Publish the version a directory's manifest describes: blobs first (skipping those the server
        already has), then the version. Publishing the same bytes again is a no-op (``created`` False)."""
        from registry.service.manifest import contained_file, load_manifest

        directory = Path(directory)
        parsed = load_manifest(directory, manifest)
        if not self.url:
            from registry.service.publish import publish_directory

            with self._session() as s:
                assert self._local is not None
                return publish_directory(s, self._local.store, directory, parsed)
        from registry.errors import IntegrityFailure
        from registry.hashing import sha256_file
        from registry.service.entities import PublishResult

        data = parsed.model_dump(mode="json", exclude_none=True)
        for build in data["builds"]:
            for f in build["files"]:
                path = contained_file(directory, f["path"])
                sha, size = sha256_file(path)
                for key, got in (("sha256", sha), ("size", size)):
                    if f.get(key) is not None and f[key] != got:
                        raise IntegrityFailure(
                            f"'{f['path']}' has {key} {got}, the manifest says {f[key]}.",
                            hint="Fix the manifest or the file; nothing was uploaded.",
                        )
                f["sha256"], f["size"] = sha, size
                self._upload(path, sha, size)
        return PublishResult.model_validate(self._request("POST", "/v1/versions", json=data))

    def _upload(self, path: Path, sha256: str, size: int) -> None:
        head = self._raw("HEAD", f"/v1/blobs/{sha256}")
        if head.status_code == 200 and int(head.headers.get("content-length", -1)) == size:
            return
        with path.open("rb") as fh:
            self._request("PUT", f"/v1/blobs/{sha256}", content=fh, headers={"Content-Length": str(size)})

    def set_alias(self, model: str, alias: str, version: str) -> VersionInfo:
        """Point ``alias`` (e.g. stable) of ``model`` at ``version``."""
        from registry.service.entities import VersionInfo

        if not self.url:
            from registry.service import lifecycle

            with self._session() as s:
                return lifecycle.set_alias(s, model, alias, version)
        path = f"/v1/models/{_seg(model)}/aliases/{_seg(alias)}"
        return VersionInfo.model_validate(self._request("PUT", path, json={"version": version}))

    def delete_alias(self, model: str, alias: str) -> None:
        if not self.url:
            from registry.service import lifecycle

            with self._session() as s:
                lifecycle.delete_alias(s, model, alias)
            return
        self._request("DELETE", f"/v1/models/{_seg(model)}/aliases/{_seg(alias)}")

    def deprecate(self, model: str, version: str, reason: str | None = None) -> VersionInfo:
        """Still resolvable (with a warning) but no longer 'latest'."""
        return self._set_status("deprecate", model, version, reason)

    def yank(self, model: str, version: str, reason: str | None = None) -> VersionInfo:
        """Pullable only by exact pin (with a warning); needs an 'admin' token over HTTP."""
        return self._set_status("yank", model, version, reason)

    def restore(self, model: str, version: str, reason: str | None = None) -> VersionInfo:
        """Active again: from deprecated ('publish'), or from yanked ('admin', and a reason is required)."""
        return self._set_status("restore", model, version, reason)

    def audit(self, *, limit: int = 100, action: str | None = None, target: str | None = None) -> list[AuditEventInfo]:
        """The audit log, newest first (an 'admin' token over HTTP)."""
        from registry.service.audit import AuditEventInfo, list_events

        if not self.url:
            with self._session() as s:
                return list_events(s, limit=limit, action=action, target=target)
        data = self._get("/v1/audit", {"limit": limit, "action": action, "target": target})
        return [AuditEventInfo.model_validate(e) for e in data]

    def _set_status(self, action: str, model: str, version: str, reason: str | None) -> VersionInfo:
        from registry.service.entities import VersionInfo

        if not self.url:
            from registry.service import lifecycle

            with self._session() as s:
                result: VersionInfo = getattr(lifecycle, action)(s, model, version, reason)
                return result
        path = f"/v1/models/{_seg(model)}/versions/{_seg(version)}/{action}"
        return VersionInfo.model_validate(self._request("POST", path, json={"reason": reason}))

    # -- plumbing ------------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def http(self) -> httpx.Client:
        """The shared HTTP connection pool (remote mode only). The token is added per request, and only
        for the registry's own origin, never for a redirect to a presigned storage URL."""
        if self.offline:
            raise OfflineError(
                f"REGISTRY_OFFLINE is set, so {self.url} is not contacted.",
                hint="Unset REGISTRY_OFFLINE, or use builds already in the cache.",
            )
        with self._lock:
            if self._http is None:
                import httpx

                limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
                self._http = httpx.Client(
                    base_url=self.url or "",
                    headers={"User-Agent": "edge-model-registry"},
                    timeout=self.timeout,
                    limits=limits,
                )
            return self._http

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return self._request("GET", path, params=clean)

    def _raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        headers = {**self._auth(), **kwargs.pop("headers", {})}
        try:
            return self.http().request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            from registry.client.remote import unreachable

            raise unreachable(self.url or "", exc) from exc

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._raw(method, path, **kwargs)
        if response.is_success:
            return response.json() if response.content else None
        raise error_from_response(response)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        if self._local is None:
            from registry.local import LocalCatalog

            self._local = LocalCatalog(self.settings)
        with self._local.session() as s:
            yield s


def error_from_response(response: httpx.Response) -> RegistryError:
    """The ``RegistryError`` subclass the server raised, rebuilt from its JSON error body."""
    from registry.client.remote import error_from_body

    return error_from_body(response.status_code, response.content, str(response.request.url))


_REMOTE_STAMP = "remote"


def _no_fetch(f: FileRef, dest: Path) -> None:
    raise OfflineError(
        f"REGISTRY_OFFLINE is set and blob {f.sha256[:12]} of '{f.path}' is not in the cache.",
        hint="Unset REGISTRY_OFFLINE and pull once online.",
    )


def _result(
    data: dict[str, Any], files: list[PulledFile], requests: int, downloads: dict[str, DownloadStats]
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
    from registry.vocab import SemVer, normalize_name, normalize_precision

    want_precision = normalize_precision(precision)
    want_device = normalize_name(device)
    model_dir = cache.model_dir(model.strip().lower())
    if alias:
        pinned = cache.read_ref(model.strip().lower(), alias)
        versions = [pinned] if pinned else []
    elif version:
        versions = [version]
    else:
        found = [p.name for p in (model_dir / "snapshots").glob("*") if p.is_dir()]
        versions = sorted(found, key=_semver_key(SemVer), reverse=True)
    for v in versions:
        for res_file in sorted((model_dir / "snapshots" / v).glob("*/.resolution.json")):
            data = cache.read_resolution(res_file.parent) or {}
            if not data or data.get("precision") != want_precision:
                continue
            if runtime and data.get("runtime") != runtime.strip().lower().replace("-", "_"):
                continue
            if want_device not in (normalize_name(data.get("device", "")), normalize_name(data.get("device_slug", ""))):
                continue
            if alias is None and version is None and data.get("version_status") == "yanked":
                continue
            if all(cache.has_blob(data["model"], f["sha256"], f["size"]) for f in data["build"]["files"]):
                return data
    what = f"{model} for {device}, {precision}" + (f", {runtime}" if runtime else "")
    what += f" at {version}" if version else (f" via alias {alias}" if alias else "")
    raise OfflineError(
        f"REGISTRY_OFFLINE is set and no build of {what} is in the cache ({cache.root}).",
        hint="Unset REGISTRY_OFFLINE, or pull it once online so the cache has it.",
    )


def _semver_key(semver: Any) -> Callable[[str], Any]:
    def key(v: str) -> Any:
        try:
            return (1, semver.parse(v).sort_key())
        except Exception:
            return (0, v)

    return key


def _seg(value: str) -> str:
    """One URL path segment: reserved characters are escaped so a name can never change the route."""
    from urllib.parse import quote

    return quote(value, safe="")
