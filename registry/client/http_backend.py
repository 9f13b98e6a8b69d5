"""The HTTP catalog backend: a ``registry serve`` API. JSON errors come back as the service's exception classes.

Reads and small writes go through one httpx pool (the token sent only to the registry's own origin); the pull
resolution and blob downloads use the standard-library paths of ``registry.client.remote`` (a warm pull imports
neither httpx nor pydantic); blob uploads stream from disk (``registry.client.upload``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.client.backend import PullProgress, ResolveQuery, UploadProgress
from registry.errors import OfflineError, RegistryError
from registry.vocab import ModelFilter

if TYPE_CHECKING:
    import httpx

    from registry.client.backend import Fetch
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


class HttpBackend:
    remote = True

    def __init__(self, url: str, token: str | None, *, offline: bool, timeout: float) -> None:
        self.origin = self.url = url
        self.token = token
        self.offline = offline
        self.timeout = timeout
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    # -- reads -----------------------------------------------------------------------------------------------

    def search(self, query: ModelFilter, limit: int, cursor: str | None) -> tuple[list[ModelInfo], str | None]:
        from registry.entities import ModelInfo

        params = {**query.__dict__, "q": query.text, "limit": limit, "cursor": cursor}
        params.pop("text")
        data = self._get("/v1/models", params)
        return [ModelInfo.model_validate(i) for i in data["items"]], data.get("next_cursor")

    def model(self, name: str, version: str | None) -> ModelDetail:
        from registry.entities import ModelDetail

        path = f"/v1/models/{_seg(name)}" + (f"/versions/{_seg(version)}" if version else "")
        return ModelDetail.model_validate(self._get(path))

    def build(self, build_id: int) -> BuildInfo:
        from registry.entities import BuildInfo

        return BuildInfo.model_validate(self._get(f"/v1/builds/{int(build_id)}"))

    def devices(self) -> list[DeviceInfo]:
        from registry.entities import DeviceInfo

        return [DeviceInfo.model_validate(d) for d in self._get("/v1/devices")]

    def device(self, name: str) -> DeviceInfo:
        from registry.entities import DeviceInfo

        return DeviceInfo.model_validate(self._get(f"/v1/devices/{_seg(name)}"))

    def resolve(self, query: ResolveQuery) -> dict[str, Any]:
        from registry.client import remote

        self._online(f"ask {self.url} to resolve {query.model}")
        return remote.get_json(self.url, "/v1/resolve", query.params(), token=self.token, timeout=self.timeout)

    def pull_stamp(self) -> str | None:
        return None

    def fetcher(self, downloads: dict[str, DownloadStats], progress: PullProgress | None) -> Fetch:
        from registry.client.remote import download_blob

        def fetch(f: Any, dest: Path) -> None:
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

    # -- writes ----------------------------------------------------------------------------------------------

    def publish(self, directory: Path, manifest: Manifest, progress: UploadProgress | None) -> PublishResult:
        """Hash every file, ask the server which blobs it lacks, stream only those, then post the manifest."""
        from registry.client.upload import upload_blob
        from registry.entities import PublishResult
        from registry.errors import IntegrityFailure
        from registry.hashing import sha256_file
        from registry.service.manifest import contained_file

        data = manifest.model_dump(mode="json", exclude_none=True)
        blobs: dict[str, tuple[Path, int]] = {}
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
                blobs[sha] = (path, size)
        asked = [{"sha256": sha, "size": size} for sha, (_, size) in blobs.items()]
        missing = self._request("POST", "/v1/blobs/missing", json={"blobs": asked})["missing"]
        stored = stored_bytes = 0
        for sha in missing:
            path, size = blobs[sha]
            say = (lambda n, p=f"{path.relative_to(directory)}": progress(p, n)) if progress else None
            self._online(f"upload to {self.url}")
            answer = upload_blob(self.url, sha, size, path, token=self.token, timeout=self.timeout, progress=say)
            if answer.get("created"):
                stored, stored_bytes = stored + 1, stored_bytes + size
        result = PublishResult.model_validate(self._request("POST", "/v1/versions", json=data))
        return result.model_copy(update={"blobs_stored": stored, "bytes_stored": stored_bytes})

    def set_alias(self, model: str, alias: str, version: str) -> VersionInfo:
        from registry.entities import VersionInfo

        path = f"/v1/models/{_seg(model)}/aliases/{_seg(alias)}"
        return VersionInfo.model_validate(self._request("PUT", path, json={"version": version}))

    def delete_alias(self, model: str, alias: str) -> None:
        self._request("DELETE", f"/v1/models/{_seg(model)}/aliases/{_seg(alias)}")

    def set_status(self, action: str, model: str, version: str, reason: str | None) -> VersionInfo:
        from registry.entities import VersionInfo

        path = f"/v1/models/{_seg(model)}/versions/{_seg(version)}/{action}"
        return VersionInfo.model_validate(self._request("POST", path, json={"reason": reason}))

    def audit(self, limit: int, action: str | None, target: str | None) -> list[AuditEventInfo]:
        from registry.service.audit import AuditEventInfo

        data = self._get("/v1/audit", {"limit": limit, "action": action, "target": target})
        return [AuditEventInfo.model_validate(e) for e in data]

    def link_mlflow(self, model: str, version: str, run_id: str, registered_model: str, builds: dict[int, str]) -> None:
        body = {
            "run_id": run_id,
            "registered_model": registered_model,
            "builds": {str(k): v for k, v in builds.items()},
        }
        self._request("POST", f"/v1/models/{_seg(model)}/versions/{_seg(version)}/mlflow", json=body)

    def add_benchmark(self, model: str, version: str, report: BenchmarkReport) -> ReportedBenchmark:
        from registry.entities import ReportedBenchmark

        path = f"/v1/models/{_seg(model)}/versions/{_seg(version)}/benchmarks"
        return ReportedBenchmark.model_validate(self._request("POST", path, json=report.model_dump(mode="json")))

    def import_published(self, perf_csv: Path, numerics_csv: Path | None) -> ImportReport:
        from registry.errors import InvalidInput
        from registry.service.published import ImportReport

        try:
            body = {
                "perf_csv": perf_csv.read_text(encoding="utf-8"),
                "numerics_csv": numerics_csv.read_text(encoding="utf-8") if numerics_csv else None,
            }
        except OSError as exc:
            raise InvalidInput(f"Cannot read {exc.filename}: {exc.strerror}.") from exc
        return ImportReport(**self._request("POST", "/v1/published", json=body))

    def create_token(self, scope: str, name: str) -> tuple[str, TokenInfo]:
        from registry.service.tokens import TokenInfo

        data = self._request("POST", "/v1/tokens", json={"scope": scope, "name": name})
        return data.pop("token"), TokenInfo.model_validate(data)

    def list_tokens(self) -> list[TokenInfo]:
        from registry.service.tokens import TokenInfo

        return [TokenInfo.model_validate(t) for t in self._get("/v1/tokens")]

    def revoke_token(self, token_id: int) -> TokenInfo:
        from registry.service.tokens import TokenInfo

        return TokenInfo.model_validate(self._request("DELETE", f"/v1/tokens/{int(token_id)}"))

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = self._get("/v1/info")
        return data

    def whoami(self) -> dict[str, Any]:
        data: dict[str, Any] = self._get("/v1/whoami")
        return {"url": self.url, **data}

    # -- plumbing --------------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _online(self, what: str) -> None:
        if self.offline:
            raise OfflineError(
                f"REGISTRY_OFFLINE is set, so the client will not {what}.",
                hint="Unset REGISTRY_OFFLINE, or use builds already in the cache.",
            )

    def http(self) -> httpx.Client:
        """The shared connection pool. The token is added per request, and only for the registry's own origin,
        never for a redirect to a presigned storage URL."""
        self._online(f"contact {self.url}")
        with self._lock:
            if self._http is None:
                import httpx

                limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
                self._http = httpx.Client(
                    base_url=self.url,
                    headers={"User-Agent": "edge-model-registry"},
                    timeout=self.timeout,
                    limits=limits,
                )
            return self._http

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return self._request("GET", path, params=clean)

    def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        headers = {**({"Authorization": f"Bearer {self.token}"} if self.token else {}), **kwargs.pop("headers", {})}
        try:
            return self.http().request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            from registry.client.remote import unreachable

            raise unreachable(self.url, exc) from exc

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.raw(method, path, **kwargs)
        if response.is_success:
            return response.json() if response.content else None
        raise error_from_response(response)


def error_from_response(response: httpx.Response) -> RegistryError:
    """The ``RegistryError`` subclass the server raised, rebuilt from its JSON error body."""
    from registry.client.remote import error_from_body

    return error_from_body(response.status_code, response.content, str(response.request.url))


def _seg(value: str) -> str:
    """One URL path segment: reserved characters are escaped so a name can never change the route."""
    from urllib.parse import quote

    return quote(value, safe="")
