"""Aliases, deprecation and yanking: the only changes a published version ever sees."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import Conflict
from registry.models import Alias
from registry.service import lookup
from registry.service.convert import version_info
from registry.service.entities import VersionInfo
from registry.vocab import check_alias


def set_alias(session: Session, model: str, alias: str, version: str) -> VersionInfo:
    """Point ``alias`` at ``version`` (creating or moving it). A yanked version cannot get an alias."""
    name = check_alias(alias.strip().lower())
    model_row = lookup.get_model(session, model)
    version_row = lookup.get_version(session, model_row, version)
    if version_row.status == "yanked":
        raise Conflict(
            f"{model_row.slug}@{version_row.version} is yanked; an alias cannot point at it.",
            hint="Choose an active version.",
        )
    row = session.scalars(select(Alias).where(Alias.model_id == model_row.id, Alias.name == name)).one_or_none()
    if row is None:
        session.add(Alias(model_id=model_row.id, name=name, version_id=version_row.id))
    else:
        row.version_id = version_row.id
    session.flush()
    aliases = lookup.aliases_by_version(session, model_row).get(version_row.id, [])
    return version_info(version_row, model_row.slug, aliases)


def delete_alias(session: Session, model: str, alias: str) -> None:
    model_row = lookup.get_model(session, model)
    session.delete(lookup.get_alias(session, model_row, alias))
    session.flush()


def deprecate(session: Session, model: str, version: str, reason: str | None = None) -> VersionInfo:
    return _set_status(session, model, version, "deprecated", reason)


def yank(session: Session, model: str, version: str, reason: str | None = None) -> VersionInfo:
    """Yank: still pullable by exact pin (with a warning), never by alias or latest.

    Aliases that point at it stay, and resolving them fails with a message saying to move them.
    """
    return _set_status(session, model, version, "yanked", reason)


def restore(session: Session, model: str, version: str) -> VersionInfo:
    return _set_status(session, model, version, "active", None)


def _set_status(session: Session, model: str, version: str, status: str, reason: str | None) -> VersionInfo:
    model_row = lookup.get_model(session, model)
    version_row = lookup.get_version(session, model_row, version)
    version_row.status = status
    version_row.status_reason = reason
    session.flush()
    aliases = lookup.aliases_by_version(session, model_row).get(version_row.id, [])
    return version_info(version_row, model_row.slug, aliases)
