"""What remote clients need beyond reads: which blobs to upload, who they are, tokens, MLflow links, published
figures. Handlers stay thin over the service layer."""

from __future__ import annotations

import pathlib
import tempfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from registry import __version__
from registry.api.deps import AdminAccess, CredentialsDep, PublishAccess, ReadAccess, SessionDep, SettingsDep, StoreDep
from registry.api.params import WRITE_ERRORS, ModelName, VersionText
from registry.service.publish import link_mlflow
from registry.service.tokens import TokenInfo, create_token, describe_token, list_tokens, revoke_token
from registry.storage import check_sha256
from registry.validation import MAX_TOKEN_NAME
from registry.vocab import READ

router = APIRouter(prefix="/v1", tags=["team"])


class BlobRef(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class BlobList(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    blobs: list[BlobRef] = Field(max_length=100_000)


@router.post("/blobs/missing", dependencies=[PublishAccess], responses=WRITE_ERRORS)
async def missing_blobs(store: StoreDep, body: BlobList) -> dict[str, list[str]]:
    """Of these blobs, the ones this registry does not hold intact (absent, another size, or damaged: its stamp
    changed and its bytes no longer hash to the address): upload only those, and a damaged copy heals."""

    def lacking() -> list[str]:
        out = []
        for b in body.blobs:
            check_sha256(b.sha256)
            if not store.exists(b.sha256) or store.size(b.sha256) != b.size or store.check(b.sha256) != "ok":
                out.append(b.sha256)
        return list(dict.fromkeys(out))

    return {"missing": await run_in_threadpool(lacking)}


@router.get("/whoami", dependencies=[ReadAccess])
def whoami(session: SessionDep, credentials: CredentialsDep) -> dict[str, Any]:
    """The token's name and scope (both null for an anonymous read)."""
    record = describe_token(session, credentials.credentials) if credentials else None
    return {"token_name": record.name if record else None, "scope": record.scope if record else None}


@router.get("/info")
def server_info(settings: SettingsDep) -> dict[str, Any]:
    """What a client needs to know about this server: its version and the MLflow tracking URI ingest records to."""
    return {"version": __version__, "mlflow_tracking_uri": settings.mlflow_uri, "public_read": settings.public_read}


# The token scopes of registry.vocab.TOKEN_SCOPES, as the request body validates them.
TokenScope = Literal["read", "publish", "admin"]


@router.post("/tokens", dependencies=[AdminAccess], status_code=201)
def post_token(
    session: SessionDep,
    scope: Annotated[TokenScope, Body(embed=True)] = READ,
    name: Annotated[str, Body(embed=True, max_length=MAX_TOKEN_NAME)] = "",
) -> dict[str, Any]:
    """A new token, returned once (only its hash is stored)."""
    token, record = create_token(session, scope, name)
    return {"token": token, **record.model_dump(mode="json")}


@router.get("/tokens", dependencies=[AdminAccess])
def get_tokens(session: SessionDep) -> list[TokenInfo]:
    return list_tokens(session)


@router.delete("/tokens/{token_id}", dependencies=[AdminAccess])
def delete_token(session: SessionDep, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> TokenInfo:
    return revoke_token(session, token_id)


class MlflowLink(BaseModel):
    run_id: str = Field(max_length=64)
    registered_model: str = Field(max_length=256)
    builds: dict[int, str]


@router.post("/models/{model}/versions/{version}/mlflow", dependencies=[PublishAccess], status_code=204)
def post_mlflow_link(session: SessionDep, model: ModelName, version: VersionText, link: MlflowLink) -> None:
    """Record the MLflow run of a version and the MLflow model version of each of its builds."""
    link_mlflow(session, model, version, link.run_id, link.registered_model, link.builds)


class PublishedFigures(BaseModel):
    perf_csv: str = Field(max_length=20_000_000)
    numerics_csv: str | None = Field(default=None, max_length=20_000_000)


@router.post("/published", dependencies=[PublishAccess])
def post_published(session: SessionDep, body: PublishedFigures) -> dict[str, Any]:
    """Import Qualcomm's published AI Hub figures (the CSV texts) as ``published`` references."""
    from registry.service.published import import_published

    with tempfile.TemporaryDirectory(prefix="registry-published-") as tmp:
        perf = pathlib.Path(tmp) / "aihub_published_perf.csv"
        perf.write_text(body.perf_csv, encoding="utf-8")
        numerics = None
        if body.numerics_csv is not None:
            numerics = pathlib.Path(tmp) / "aihub_published_numerics.csv"
            numerics.write_text(body.numerics_csv, encoding="utf-8")
        return import_published(session, perf, numerics).to_json()
