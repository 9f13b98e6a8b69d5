"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: the database and the blob store do)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from registry import __version__
from registry.api.deps import CatalogDep
from registry.embedded import EmbeddedCatalog

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, Any]:
    """Liveness: the process serves requests (no database call, so a slow database never restarts it)."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz", responses={503: {"description": "The database or the blob store is unreachable."}})
async def readyz(catalog: CatalogDep) -> JSONResponse:
    """Readiness: the catalog database answers and the blob store is reachable; 503 with the failing part."""
    checks = await run_in_threadpool(_checks, catalog)
    ok = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ok else "unavailable", "version": __version__, "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


def _checks(catalog: EmbeddedCatalog) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with catalog.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    try:
        catalog.store.exists("0" * 64)
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return checks
