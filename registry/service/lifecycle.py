"""Aliases and the version lifecycle: the only changes a published version ever sees.

The lifecycle is a state machine; each transition names the token scope it needs:

    active     -> deprecated   publish   (``deprecate``)
    deprecated -> active       publish   (``restore``)
    active     -> yanked       admin     (``yank``)
    deprecated -> yanked       admin     (``yank``)
    yanked     -> active       admin     (``restore``, with a reason)

Nothing else: a yanked version leaves ``yanked`` only through an admin's ``restore``. Asking for the state a
version is already in is a no-op (racing writers all succeed). An alias never points at a yanked version.
Every change is recorded in the audit log.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.entities import VersionInfo
from registry.errors import Conflict, Forbidden, InvalidInput
from registry.models import Alias, Build, Model, Version
from registry.service import audit, lookup
from registry.service.audit import LOCAL_ACTOR, Actor
from registry.service.convert import version_info
from registry.service.locks import lock_model
from registry.validation import MAX_REASON
from registry.vocab import ACTIVE, ADMIN, DEPRECATED, PUBLISH, YANKED, check_alias, has_scope

TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    (ACTIVE, DEPRECATED): PUBLISH,
    (DEPRECATED, ACTIVE): PUBLISH,
    (ACTIVE, YANKED): ADMIN,
    (DEPRECATED, YANKED): ADMIN,
    (YANKED, ACTIVE): ADMIN,
}
ACTIONS: Final = {"deprecate": DEPRECATED, "yank": YANKED, "restore": ACTIVE}


def set_alias(session: Session, model: str, alias: str, version: str, actor: Actor = LOCAL_ACTOR) -> VersionInfo:
    """Point ``alias`` at ``version`` (creating or moving it). A yanked version cannot get an alias."""
    name = check_alias(alias.strip().lower())
    model_row = lookup.get_model(session, model)
    lock_model(session, model_row.slug)
    version_row = lookup.get_version(session, model_row, version)
    if version_row.status == YANKED:
        raise Conflict(
            f"{model_row.slug}@{version_row.version} is yanked; an alias cannot point at it.",
            hint="Choose an active version.",
        )
    row = session.scalars(select(Alias).where(Alias.model_id == model_row.id, Alias.name == name)).one_or_none()
    before = None
    if row is None:
        session.add(Alias(model_id=model_row.id, name=name, version_id=version_row.id))
    elif row.version_id != version_row.id:
        before = {"version": session.get(Version, row.version_id).version}  # type: ignore[union-attr]
        row.version_id = version_row.id
    else:
        return _info(session, model_row, version_row)  # already there: nothing to record
    session.flush()
    after = {"version": version_row.version}
    audit.record(session, actor, "alias.set", f"{model_row.slug}:{name}", before=before, after=after)
    return _info(session, model_row, version_row)


def delete_alias(session: Session, model: str, alias: str, actor: Actor = LOCAL_ACTOR) -> None:
    model_row = lookup.get_model(session, model)
    lock_model(session, model_row.slug)
    row = lookup.get_alias(session, model_row, alias)
    before = {"version": session.get(Version, row.version_id).version}  # type: ignore[union-attr]
    session.delete(row)
    session.flush()
    audit.record(session, actor, "alias.delete", f"{model_row.slug}:{row.name}", before=before)


def deprecate(
    session: Session, model: str, version: str, reason: str | None = None, actor: Actor = LOCAL_ACTOR
) -> VersionInfo:
    """Still resolvable by pin and alias (with a warning), no longer 'latest'. Needs 'publish'."""
    return change_status(session, model, version, "deprecate", reason, actor)


def yank(
    session: Session, model: str, version: str, reason: str | None = None, actor: Actor = LOCAL_ACTOR
) -> VersionInfo:
    """Pullable only by exact pin (with a warning), never by alias or latest. Needs 'admin'.

    Aliases that point at it stay, and resolving them fails with a message saying to move them.
    """
    return change_status(session, model, version, "yank", reason, actor)


def restore(
    session: Session, model: str, version: str, reason: str | None = None, actor: Actor = LOCAL_ACTOR
) -> VersionInfo:
    """Back to active: from deprecated ('publish'), or from yanked ('admin', and a reason is required)."""
    return change_status(session, model, version, "restore", reason, actor)


def change_status(
    session: Session, model: str, version: str, action: str, reason: str | None, actor: Actor
) -> VersionInfo:
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidInput(f"The reason is {len(reason)} characters long; the limit is {MAX_REASON}.")
    target = ACTIONS[action]
    model_row = lookup.get_model(session, model)
    lock_model(session, model_row.slug)
    version_row = lookup.get_version(session, model_row, version)
    current = version_row.status
    if current == target:
        return _info(session, model_row, version_row)  # a racing or repeated request: already done
    ref = f"{model_row.slug}@{version_row.version}"
    needed = TRANSITIONS.get((current, target))
    if needed is None:
        raise Conflict(
            f"{ref} is {current}; it cannot be made {target} directly.",
            hint=f"An admin can bring it back with `registry restore {ref} --reason ...` first.",
        )
    if not has_scope(actor.scope, needed):
        raise Forbidden(
            f"Making {ref} {target} (it is {current}) needs the '{needed}' scope; your token has '{actor.scope}'.",
            hint=f"Ask someone with a '{needed}' token.",
        )
    if current == YANKED and not (reason and reason.strip()):
        raise InvalidInput(f"Restoring the yanked {ref} needs a reason.", hint="Pass --reason (CLI) or reason=.")
    before = {"status": current, "status_reason": version_row.status_reason}
    version_row.status = target
    version_row.status_reason = reason
    session.flush()
    audit.record(
        session, actor, f"version.{action}", ref, before=before, after={"status": target, "status_reason": reason}
    )
    return _info(session, model_row, version_row)


def _info(session: Session, model_row: Model, version_row: Version) -> VersionInfo:
    aliases = lookup.aliases_by_version(session, model_row).get(version_row.id, [])
    builds = session.scalar(select(func.count()).select_from(Build).where(Build.version_id == version_row.id))
    return version_info(version_row, model_row.slug, aliases, build_count=builds or 0)
