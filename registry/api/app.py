"""The FastAPI application: thin routes over registry.service, one JSON error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry import __version__
from registry.api import openapi
from registry.api.guard import RequestGuard, allowed_methods, error_response, route_scope
from registry.embedded import EmbeddedCatalog
from registry.errors import RegistryError
from registry.settings import Settings, get_settings
from registry.vocab import READ


def _clean_leftovers(catalog: EmbeddedCatalog) -> None:
    """At start: remove what killed writers left (temp files, upload spools, S3 multipart uploads)."""
    import logging

    from registry.service.maintenance import clean_leftovers

    s = catalog.settings
    try:
        done = clean_leftovers(catalog.store, s.home / "uploads", s.leftover_grace_seconds)
    except RegistryError as exc:  # an unreachable store must not stop the API from serving the catalog
        logging.getLogger("registry.api").warning("leftover cleanup skipped: %s", exc.detail)
        return
    if done.temp_files or done.upload_spools:
        logging.getLogger("registry.api").warning(
            "removed leftovers of killed writers: %d temp files/uploads, %d upload spools, %d bytes",
            done.temp_files,
            done.upload_spools,
            done.bytes,
        )


def create_app(settings: Settings | None = None, *, fast_resolve: bool = True) -> FastAPI:
    """The API on ``settings``' catalog. ``fast_resolve=False`` leaves ``GET /v1/resolve`` entirely to its FastAPI
    route (registry.api.fast_resolve answers its ordinary case otherwise; the tests compare the two)."""
    catalog = EmbeddedCatalog(settings or get_settings())
    from registry.api.observe import Observe, configure_access_log

    if catalog.settings.access_log:
        configure_access_log()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from registry.db import check_ready

        check_ready(catalog.engine)
        _clean_leftovers(catalog)
        yield
        catalog.engine.dispose()

    app = FastAPI(
        title="Edge Model Registry",
        version=__version__,
        description="Versioned, per-device builds of edge AI models, with provenance on every figure.",
        lifespan=lifespan,
    )
    app.state.catalog = catalog
    from registry.api.routes import blobs, catalog_routes, health, hf, publish, reports, signing_routes, team

    # The Hugging Face-compatible routes last: `/{repo}/resolve/...` is broad.
    routers = (
        health.router,
        catalog_routes.router,
        blobs.router,
        publish.router,
        team.router,
        reports.router,
        signing_routes.router,
        hf.router,
    )
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]

    @app.exception_handler(RegistryError)
    async def registry_error(_: Request, exc: RegistryError) -> JSONResponse:
        if exc.status in (401, 408, 413):  # the body may be unread: answer and close the connection
            return error_response(exc)
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 400:  # FastAPI could not decode the body (not UTF-8): invalid input like any other
            hint = f"Send UTF-8 JSON; see {request.app.docs_url} for the body of {request.method} {request.url.path}."
            detail = "The request body is not UTF-8 JSON."
            return JSONResponse({"error": "invalid_input", "detail": detail, "hint": hint}, status_code=422)
        if exc.status_code == 405:  # every method of the path, not only those of the first route that matched
            headers["Allow"] = ", ".join(sorted(allowed_methods(routes, request.scope)))
        return JSONResponse(
            {"error": codes.get(exc.status_code, "http_error"), "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=headers or None,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
            problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        hint = f"See {request.app.docs_url} for the parameters of {request.method} {request.url.path}."
        return JSONResponse({"error": "invalid_input", "detail": "; ".join(problems), "hint": hint}, status_code=422)

    @app.exception_handler(DataError)
    async def unstorable_value(_: Request, exc: DataError) -> JSONResponse:
        # e.g. a NUL byte in a name: PostgreSQL refuses it before any lookup can say "not found".
        return JSONResponse(
            {
                "error": "invalid_input",
                "detail": "A value in the request cannot be looked up (a NUL byte, or a number out of range).",
                "hint": "Remove control characters from names and keep numbers within 64 bits.",
            },
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
        # Still a 500 (and logged by uvicorn), but in the one error shape the SDK understands.
        return JSONResponse(
            {
                "error": "internal_error",
                "detail": f"{type(exc).__name__} in the registry API.",
                "hint": "See the server log.",
            },
            status_code=500,
        )

    for router in routers:
        app.include_router(router)
    if fast_resolve:
        from registry.api.fast_resolve import PATH, FastResolve

        resolve_route = next(r for r in routes if r.path == PATH and "GET" in (r.methods or set()))
        app.add_middleware(FastResolve, catalog=catalog, route=resolve_route)
    app.add_middleware(RequestGuard, catalog=catalog, routes=routes)
    app.add_middleware(Observe, access_log=catalog.settings.access_log)  # /metrics and the access log
    reads = [r for r in routes if route_scope(r) == READ] if catalog.settings.public_read else []
    openapi.install(app, public_reads={(m.lower(), r.path_format) for r in reads for m in (r.methods or set())})
    return app
