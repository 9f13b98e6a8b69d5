"""Request dependencies: the request owns the transaction; services only flush."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from registry.db import transaction
from registry.errors import Forbidden, Unauthorized
from registry.local import LocalCatalog
from registry.models import ApiToken
from registry.service.tokens import hash_token
from registry.settings import Settings
from registry.storage import BlobStore

SCOPE_RANK = {"read": 0, "publish": 1, "admin": 2}
_bearer = HTTPBearer(auto_error=False, description="A token from `registry token create`.")


# Dependencies that do no I/O are ``async def``: FastAPI runs a sync dependency in its thread pool, a hop that
# costs more than the dependency itself (see docs/benchmarks.md, "Resolve vs MLflow's model registry").


async def get_catalog(request: Request) -> LocalCatalog:
    catalog: LocalCatalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[LocalCatalog, Depends(get_catalog)]


async def get_settings_dep(catalog: CatalogDep) -> Settings:
    return catalog.settings


async def get_store(catalog: CatalogDep) -> BlobStore:
    return catalog.store


def get_session(catalog: CatalogDep) -> Iterator[Session]:
    with transaction(catalog.sessionmaker) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[BlobStore, Depends(get_store)]
# scope="function": the transaction commits before the response is sent, so a client that got its 200 for a
# write is sure it is stored and the very next request, to any API process, sees it (the default scope commits
# after the response has gone out: a read racing right behind a write could miss it; tests/api/test_resolve_fresh).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _token_scope(catalog: LocalCatalog, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is None:
        return None
    with transaction(catalog.sessionmaker) as session:
        row = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == hash_token(credentials.credentials))
        ).one_or_none()
        if row is None or row.revoked_at is not None:
            raise Unauthorized(
                "The bearer token is not valid (unknown or revoked).",
                hint="Create one with `registry token create --scope publish`.",
            )
        row.last_used_at = datetime.now(UTC)
        return row.scope


def require_scope(scope: str) -> Callable[..., Awaitable[str | None]]:
    """A dependency that admits requests whose token has ``scope`` or a wider one."""

    async def check(request: Request, credentials: CredentialsDep) -> str | None:
        catalog: LocalCatalog = request.app.state.catalog  # not a sub-dependency: one less to solve per request
        # No token, no database: an anonymous public read costs nothing here.
        have = None if credentials is None else await run_in_threadpool(_token_scope, catalog, credentials)
        if scope == "read" and have is None and catalog.settings.public_read:
            return None
        if have is None:
            raise Unauthorized(
                f"This needs a bearer token with the '{scope}' scope.",
                hint="Send 'Authorization: Bearer <token>' (REGISTRY_TOKEN for the CLI).",
            )
        if SCOPE_RANK[have] < SCOPE_RANK[scope]:
            raise Forbidden(
                f"Your token has the '{have}' scope; this needs '{scope}'.",
                hint=f"Create one with `registry token create --scope {scope}`.",
            )
        return have

    return check


ReadAccess = Depends(require_scope("read"))
PublishAccess = Depends(require_scope("publish"))
AdminAccess = Depends(require_scope("admin"))
