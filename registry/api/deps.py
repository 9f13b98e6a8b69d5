"""Request dependencies: the request owns the transaction; services only flush."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from registry.api.auth import Identity, authenticate, authorize
from registry.db import transaction
from registry.embedded import EmbeddedCatalog
from registry.service.audit import Actor
from registry.settings import Settings
from registry.storage import BlobStore
from registry.vocab import ADMIN, PUBLISH, READ

_bearer = HTTPBearer(auto_error=False, description="A token from `registry token create`.")


# Dependencies that do no I/O are ``async def``: FastAPI runs a sync dependency in its thread pool, a hop that
# costs more than the dependency itself (see docs/benchmarks.md, "Resolve vs MLflow's model registry").


async def get_catalog(request: Request) -> EmbeddedCatalog:
    catalog: EmbeddedCatalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[EmbeddedCatalog, Depends(get_catalog)]


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


_UNSET = object()


def require_scope(scope: str) -> Callable[..., Awaitable[Identity | None]]:
    """A dependency that admits requests whose token has ``scope`` or a wider one.

    For a request with a body the guard (``registry.api.guard``) has already decided this from the headers,
    before the body was read; its identity is reused here. Bodiless requests are decided here."""

    async def check(request: Request, credentials: CredentialsDep) -> Identity | None:
        decided = request.scope.get("state", {}).get("identity", _UNSET)
        if decided is not _UNSET:
            return decided  # type: ignore[no-any-return]
        catalog: EmbeddedCatalog = request.app.state.catalog  # not a sub-dependency: one less to solve per request
        # No token, no database: an anonymous public read costs nothing here.
        identity = None if credentials is None else await authenticate(catalog, credentials.credentials)
        authorize(scope, identity, catalog.settings.public_read)
        request.scope.setdefault("state", {})["identity"] = identity
        return identity

    check.required_scope = scope  # type: ignore[attr-defined]
    return check


async def get_identity(request: Request) -> Identity | None:
    """The caller's token (None when anonymous), as decided by the route's scope check."""
    identity: Identity | None = request.scope.get("state", {}).get("identity")
    return identity


async def get_actor(request: Request) -> Actor:
    """Who makes this change, for the scope rules of the lifecycle and the audit log."""
    identity: Identity | None = request.scope.get("state", {}).get("identity")
    client = request.client.host if request.client else None
    if identity is None:
        return Actor(scope=READ, client=client)
    return Actor(scope=identity.scope, token_id=identity.token_id, token_name=identity.name, client=client)


ActorDep = Annotated[Actor, Depends(get_actor)]


ReadAccess = Depends(require_scope(READ))
PublishAccess = Depends(require_scope(PUBLISH))
AdminAccess = Depends(require_scope(ADMIN))
