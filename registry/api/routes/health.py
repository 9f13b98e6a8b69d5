from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from registry import __version__
from registry.api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, Any]:
    """Liveness and database reachability."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}
