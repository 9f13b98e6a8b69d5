"""Signed provenance over HTTP: read a version's DSSE envelopes; a publisher uploads one it signed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from registry.api.deps import PublishAccess, ReadAccess, SessionDep
from registry.api.params import ModelName, VersionText
from registry.service.catalog import show_model
from registry.service.signing import envelopes_of, store_envelope

router = APIRouter(prefix="/v1", tags=["signing"])


@router.get("/models/{model}/versions/{version}/signatures", dependencies=[ReadAccess])
def list_signatures(session: SessionDep, model: ModelName, version: VersionText) -> dict[str, Any]:
    """The version's DSSE envelopes (in-toto statements); clients verify them with their own trusted keys."""
    return {"model": model, "version": version, "signatures": envelopes_of(session, model, version)}


@router.put("/models/{model}/versions/{version}/signatures", dependencies=[PublishAccess])
def add_signature(
    session: SessionDep, model: ModelName, version: VersionText, envelope: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Store a publisher's envelope; refused unless its statement is this version's current one."""
    row = store_envelope(session, show_model(session, model, version), envelope)
    return {"model": model, "version": version, "key_id": row.key_id, "statement_sha256": row.statement_sha256}
