"""Catalog reads and lifecycle writes. Handlers stay thin: parse, call the service, return entities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URLPath

from registry.api.deps import ActorDep, AdminAccess, PublishAccess, ReadAccess, SessionDep
from registry.api.params import DEVICE_PATTERN, WRITE_ERRORS, AliasName, DeviceName, ModelName, VersionText, errors
from registry.embedded import EmbeddedCatalog
from registry.entities import BuildInfo, DeviceInfo, ModelDetail, Resolution, VersionInfo
from registry.service import audit, lifecycle
from registry.service.audit import AuditEventInfo
from registry.service.catalog import (
    get_build,
    get_device,
    list_devices,
    search_page,
    show_model,
)
from registry.service.resolve import resolve, resolve_fast
from registry.validation import MAX_REASON, MAX_VERSION, RUNTIME_VERSIONS_PATTERN, SEMVER_PATTERN
from registry.vocab import PRECISION_ALIASES, PRECISIONS, RUNTIMES, ModelFilter

router = APIRouter(prefix="/v1", tags=["catalog"])
Text = Annotated[str | None, Query(max_length=200)]
# Precisions and runtimes by their names and input aliases (the service also takes them in any case).
Precision = Literal[*PRECISIONS, *PRECISION_ALIASES]  # type: ignore[valid-type]
Runtime = Literal[*RUNTIMES]  # type: ignore[valid-type]
RuntimeVersions = Annotated[str, StringConstraints(max_length=200, pattern=RUNTIME_VERSIONS_PATTERN)]


@router.get("/models", dependencies=[ReadAccess], responses=errors(404))
def list_models(
    session: SessionDep,
    task: Text = None,
    domain: Text = None,
    device: Annotated[str | None, Query(max_length=120, pattern=DEVICE_PATTERN)] = None,
    precision: Annotated[Precision | None, Query()] = None,
    runtime: Annotated[Runtime | None, Query()] = None,
    license: Text = None,
    q: Text = None,
    max_latency_ms: Annotated[float | None, Query(gt=0, description="Needs device.")] = None,
    min_accuracy: Annotated[
        float | None, Query(description="Task accuracy as a fraction, e.g. 0.9 (a value over 1 is a percentage: 90).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Search models; ``next_cursor`` pages through the rest."""
    flt = ModelFilter(
        task=task,
        domain=domain,
        device=device,
        precision=precision,
        runtime=runtime,
        license=license,
        text=q,
        max_latency_ms=max_latency_ms,
        min_accuracy=min_accuracy,
    )
    items, next_cursor = search_page(session, flt, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/models/{model}", dependencies=[ReadAccess])
def get_model(session: SessionDep, model: ModelName) -> ModelDetail:
    return show_model(session, model)


@router.get("/models/{model}/versions/{version}", dependencies=[ReadAccess])
def get_version(session: SessionDep, model: ModelName, version: VersionText) -> ModelDetail:
    return show_model(session, model, version)


@router.get("/builds/{build_id}", dependencies=[ReadAccess])
def build(session: SessionDep, request: Request, build_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> BuildInfo:
    return with_urls(get_build(session, build_id), request)


@router.get("/devices", dependencies=[ReadAccess])
def devices(session: SessionDep) -> list[DeviceInfo]:
    return list_devices(session, with_counts=True)


@router.get("/devices/{name}", dependencies=[ReadAccess])
def device(session: SessionDep, name: DeviceName) -> DeviceInfo:
    return get_device(session, name)


@router.get("/resolve", dependencies=[ReadAccess], response_model=Resolution, responses=errors(404))
async def resolve_build(
    request: Request,
    model: Annotated[str, Query(min_length=1, max_length=64)],
    device: Annotated[str, Query(max_length=120, pattern=DEVICE_PATTERN)],
    precision: Annotated[Precision, Query()],
    runtime: Annotated[Runtime | None, Query()] = None,
    version: Annotated[str | None, Query(max_length=80, description="A version, or sha256:<digest>.")] = None,
    alias: Annotated[str | None, Query(max_length=40)] = None,
    runtime_version: Annotated[
        list[RuntimeVersions] | None,
        Query(
            max_length=8,
            description="Runtimes the caller ships, e.g. onnxruntime=1.20 (repeat it, or comma-separate): only a "
            "build that loads there (docs/compatibility.md).",
        ),
    ] = None,
) -> Response:
    """The one build for (model, device, precision[, runtime]) at a version, an alias, or latest."""
    # The hot path: one thread-pool hop for one SQL statement, then the entity serialized once by pydantic
    # (returning a Response skips FastAPI's second validation of the response model; the JSON is the same).
    catalog: EmbeddedCatalog = request.app.state.catalog
    constraints = [c for item in runtime_version or [] for c in item.split(",") if c]
    args = (catalog, blob_urls(request), model, device, precision, runtime, version, alias, constraints)
    # SQLite answers from the local file in well under a millisecond, less than a hop to the thread pool and back
    # costs; a server database (a network round trip) is waited for in the pool so the event loop stays free.
    r = resolve_in(*args) if catalog.engine.dialect.name == "sqlite" else await run_in_threadpool(resolve_in, *args)
    return Response(r.model_dump_json(), media_type="application/json")


def blob_urls(request: Request) -> Callable[[str], str]:
    """``request.url_for("get_blob", ...)`` with the route lookup done once per app, not once per file."""
    prefix: URLPath | None = getattr(request.app.state, "blob_path_prefix", None)
    if prefix is None:
        path = request.app.url_path_for("get_blob", sha256="0")
        prefix = request.app.state.blob_path_prefix = URLPath(path[:-1], protocol=path.protocol)
    base = str(prefix.make_absolute_url(base_url=request.base_url))
    return lambda sha256: base + sha256


def resolve_in(
    catalog: EmbeddedCatalog,
    file_url: Callable[[str], str] | None,
    model: str,
    device: str,
    precision: str,
    runtime: str | None = None,
    version: str | None = None,
    alias: str | None = None,
    constraints: list[str] | None = None,
) -> Resolution:
    """The resolve endpoint's work: ``resolve_fast`` on one read connection; anything but the ordinary answer is
    ``resolve`` in a transaction of its own, so every error and hint is the service's."""

    def in_session(*args: Any, **kwargs: Any) -> Resolution:
        with catalog.session() as session:
            return resolve(session, *args, **kwargs)

    with catalog.read_connection() as conn:
        return resolve_fast(
            conn,
            in_session,
            model,
            device,
            precision,
            runtime=runtime,
            version=version,
            alias=alias,
            file_url=file_url,
            runtime_versions=constraints,
        )


Reason = Annotated[str | None, Body(embed=True, max_length=MAX_REASON)]


@router.put("/models/{model}/aliases/{alias}", dependencies=[PublishAccess], responses=WRITE_ERRORS)
def put_alias(
    session: SessionDep,
    actor: ActorDep,
    model: ModelName,
    alias: AliasName,
    version: Annotated[str, Body(embed=True, max_length=MAX_VERSION, pattern=SEMVER_PATTERN)],
) -> VersionInfo:
    """Point an alias at a version (not a yanked one)."""
    return lifecycle.set_alias(session, model, alias, version, actor)


@router.delete("/models/{model}/aliases/{alias}", dependencies=[PublishAccess], status_code=204, responses=WRITE_ERRORS)
def delete_alias(session: SessionDep, actor: ActorDep, model: ModelName, alias: AliasName) -> None:
    lifecycle.delete_alias(session, model, alias, actor)


@router.post("/models/{model}/versions/{version}/deprecate", dependencies=[PublishAccess], responses=WRITE_ERRORS)
def deprecate(
    session: SessionDep, actor: ActorDep, model: ModelName, version: VersionText, reason: Reason = None
) -> VersionInfo:
    """active -> deprecated ('publish'). A yanked version stays yanked (409)."""
    return lifecycle.deprecate(session, model, version, reason, actor)


@router.post("/models/{model}/versions/{version}/yank", dependencies=[AdminAccess], responses=WRITE_ERRORS)
def yank(
    session: SessionDep, actor: ActorDep, model: ModelName, version: VersionText, reason: Reason = None
) -> VersionInfo:
    """active or deprecated -> yanked ('admin')."""
    return lifecycle.yank(session, model, version, reason, actor)


@router.post("/models/{model}/versions/{version}/restore", dependencies=[PublishAccess], responses=WRITE_ERRORS)
def restore(
    session: SessionDep, actor: ActorDep, model: ModelName, version: VersionText, reason: Reason = None
) -> VersionInfo:
    """deprecated -> active ('publish'); yanked -> active ('admin', with a reason)."""
    return lifecycle.restore(session, model, version, reason, actor)


@router.get("/audit", dependencies=[AdminAccess], responses=WRITE_ERRORS)
def audit_log(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
) -> list[AuditEventInfo]:
    """The audit log, newest first ('admin'): every write with its token, client address and before/after."""
    return audit.list_events(session, limit=limit, before_id=before_id, action=action, target=target)


def with_urls(build: BuildInfo, request: Request) -> BuildInfo:
    files = [f.model_copy(update={"url": str(request.url_for("get_blob", sha256=f.sha256))}) for f in build.files]
    return build.model_copy(update={"files": files})
