"""``registry.Client``: one Python API over the catalog, remote (``url``/``REGISTRY_URL``) or local.

Remote calls go over HTTP to ``registry serve``; the local mode opens the embedded catalog directly. Both
return the same entities (``registry.service.entities``) and raise the same ``RegistryError`` subclasses: the
API's JSON error ``code`` is mapped back to the class the service raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from registry.errors import OfflineError, RegistryError, error_class_for
from registry.service.entities import BuildInfo, DeviceInfo, ModelDetail, ModelInfo, Resolution
from registry.settings import Settings, get_settings

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.orm import Session

    from registry.local import LocalCatalog


@dataclass(frozen=True)
class SearchPage:
    items: list[ModelInfo]
    next_cursor: str | None


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
            path = f"/v1/models/{_seg(name)}" + (f"/versions/{_seg(version)}" if version else "")
            return ModelDetail.model_validate(self._get(path))
        from registry.service.catalog import show_model

        with self._session() as s:
            return show_model(s, name, version)

    def build(self, build_id: int) -> BuildInfo:
        if self.url:
            return BuildInfo.model_validate(self._get(f"/v1/builds/{int(build_id)}"))
        from registry.service.catalog import get_build

        with self._session() as s:
            return get_build(s, build_id)

    def devices(self) -> list[DeviceInfo]:
        """Every catalog device (chipset) with its facts and build count."""
        if self.url:
            return [DeviceInfo.model_validate(d) for d in self._get("/v1/devices")]
        from registry.service.catalog import list_devices

        with self._session() as s:
            return list_devices(s, with_counts=True)

    def device(self, name: str) -> DeviceInfo:
        """A device by any name people use for it (slug, chipset, SoC part, marketing or phone name)."""
        if self.url:
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
            return Resolution.model_validate(self._get("/v1/resolve", params))
        from registry.service.resolve import resolve

        with self._session() as s:
            return resolve(s, model, device, precision, runtime=runtime, version=version, alias=alias)

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
        """The shared HTTP connection pool (remote mode only)."""
        if self.offline:
            raise OfflineError(
                f"REGISTRY_OFFLINE is set, so {self.url} is not contacted.",
                hint="Unset REGISTRY_OFFLINE, or use builds already in the cache.",
            )
        if self._http is None:
            import httpx

            headers = {"User-Agent": "edge-model-registry"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            self._http = httpx.Client(base_url=self.url or "", headers=headers, timeout=self.timeout)
        return self._http

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return self._request("GET", path, params=clean)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self.http().request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RegistryError(
                f"Cannot reach the registry at {self.url}: {exc}",
                hint="Check REGISTRY_URL and that `registry serve` is running there.",
            ) from exc
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
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict) or "error" not in body:
        text = response.text.strip()[:300]
        return RegistryError(f"HTTP {response.status_code} from {response.request.url}: {text or 'no body'}")
    cls = error_class_for(str(body["error"]))
    detail = body.get("detail")
    if not isinstance(detail, str):
        detail = str(detail)
    hint = body.get("hint")
    if cls is RegistryError:  # a code this client does not know (a newer server): keep it for the caller
        return RegistryError(detail, hint=hint, extra={"code": body["error"], "status": response.status_code})
    return cls(detail, hint=hint)


def _seg(value: str) -> str:
    """One URL path segment: reserved characters are escaped so a name can never change the route."""
    from urllib.parse import quote

    return quote(value, safe="")
