"""Who is calling: a bearer token turned into an ``Identity``, decided from the headers alone.

Used by the request guard (before any body is read) and by the route dependencies (for bodiless reads).
``last_used_at`` is written at most once a minute per token and process, never on every request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool

from registry.db import transaction
from registry.embedded import EmbeddedCatalog
from registry.errors import Forbidden, Unauthorized
from registry.models import ApiToken
from registry.service.tokens import hash_token
from registry.vocab import READ, has_scope

LAST_USED_EVERY_SECONDS = 60.0
# A token seen valid is trusted for this long without asking the database again (so a revocation reaches a
# running server within 2 s); unknown and revoked tokens are never cached.
IDENTITY_CACHE_SECONDS = 2.0
_last_written: dict[int, float] = {}  # token id -> monotonic time of this process's last last_used_at write
_identities: dict[str, tuple[float, Identity]] = {}  # token sha256 -> (monotonic expiry, identity)


@dataclass(frozen=True)
class Identity:
    """The token a request came with (id and name are recorded in the audit log)."""

    token_id: int
    name: str
    scope: str


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for no header or another scheme."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def authenticate(catalog: EmbeddedCatalog, token: str | None) -> Identity | None:
    """The identity of ``token`` (None without one), or Unauthorized for an unknown or revoked token."""
    if token is None:
        return None
    cached = _identities.get(hash_token(token))
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    if catalog.engine.dialect.name == "sqlite":  # a local file read: cheaper than a thread-pool hop
        return _lookup(catalog, token)
    return await run_in_threadpool(_lookup, catalog, token)


def _lookup(catalog: EmbeddedCatalog, token: str) -> Identity:
    query = select(ApiToken.id, ApiToken.name, ApiToken.scope, ApiToken.revoked_at).where(
        ApiToken.token_hash == hash_token(token)
    )
    with catalog.engine.connect() as conn:
        row = conn.execute(query).one_or_none()
    if row is None or row.revoked_at is not None:
        raise Unauthorized(
            "The bearer token is not valid (unknown or revoked).",
            hint="Create one with `registry token create --scope publish`.",
        )
    _touch(catalog, row.id)
    identity = Identity(token_id=row.id, name=row.name, scope=row.scope)
    if len(_identities) > 10_000:
        _identities.clear()
    _identities[hash_token(token)] = (time.monotonic() + IDENTITY_CACHE_SECONDS, identity)
    return identity


def _touch(catalog: EmbeddedCatalog, token_id: int) -> None:
    now = time.monotonic()
    last = _last_written.get(token_id)
    if last is not None and now - last < LAST_USED_EVERY_SECONDS:
        return
    _last_written[token_id] = now
    with transaction(catalog.sessionmaker) as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=datetime.now(UTC)))


def authorize(required: str, identity: Identity | None, public_read: bool) -> None:
    """Admit ``identity`` for an operation that needs ``required``, or raise Unauthorized / Forbidden."""
    if required == READ and identity is None and public_read:
        return
    if identity is None:
        raise Unauthorized(
            f"This needs a bearer token with the '{required}' scope.",
            hint="Send 'Authorization: Bearer <token>' (REGISTRY_TOKEN for the CLI).",
        )
    if not has_scope(identity.scope, required):
        raise Forbidden(
            f"Your token has the '{identity.scope}' scope; this needs '{required}'.",
            hint=f"Create one with `registry token create --scope {required}`.",
        )
