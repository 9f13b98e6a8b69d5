"""API tokens: shown once at creation, stored as sha256 only."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.entities import UtcDatetime
from registry.errors import InvalidInput, NotFound
from registry.models import ApiToken
from registry.service import audit
from registry.service.audit import LOCAL_ACTOR, Actor
from registry.validation import MAX_TOKEN_NAME
from registry.vocab import TOKEN_SCOPES

TOKEN_PREFIX = "emr_"


class TokenInfo(BaseModel):
    id: int
    name: str
    scope: str
    prefix: str
    created_at: UtcDatetime | None = None
    last_used_at: UtcDatetime | None = None
    revoked: bool = False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, scope: str, name: str = "", actor: Actor = LOCAL_ACTOR) -> tuple[str, TokenInfo]:
    """A new bearer token with ``scope``. Returns the token itself (never stored) and its record."""
    if scope not in TOKEN_SCOPES:
        raise InvalidInput(f"Unknown scope '{scope}'.", hint=f"Use one of: {', '.join(TOKEN_SCOPES)}.")
    if len(name) > MAX_TOKEN_NAME:
        raise InvalidInput(f"The token name is {len(name)} characters long; the limit is {MAX_TOKEN_NAME}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name or f"{scope} token", token_hash=hash_token(token), prefix=token[:10], scope=scope)
    session.add(row)
    session.flush()
    audit.record(session, actor, "token.create", f"token:{row.id}", after={"name": row.name, "scope": scope})
    return token, _info(row)


def list_tokens(session: Session) -> list[TokenInfo]:
    return [_info(r) for r in session.scalars(select(ApiToken).order_by(ApiToken.id))]


def revoke_token(session: Session, token_id: int, actor: Actor = LOCAL_ACTOR) -> TokenInfo:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"No token with id {token_id}.", hint="`registry token list` shows them.")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
        audit.record(session, actor, "token.revoke", f"token:{row.id}", before={"name": row.name, "scope": row.scope})
    return _info(row)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        scope=row.scope,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked=row.revoked_at is not None,
    )


def describe_token(session: Session, token: str) -> TokenInfo | None:
    """The record of a (valid or revoked) token, or None when it is unknown."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one_or_none()
    return None if row is None else _info(row)
