"""Finding models and versions by what users type. Every miss names what does exist."""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import ModelNotFound, VersionNotFound
from registry.models import Alias, Model, ModelName, Version
from registry.service.convert import semver_of
from registry.vocab import ACTIVE, SemVer


def get_model(session: Session, slug: str) -> Model:
    """The model of that slug, or of that other name (a family name such as ``yolov8``: see ``ModelName``)."""
    key = slug.strip().lower()
    row = session.scalars(select(Model).where(Model.slug == key)).one_or_none()
    if row is None:
        row = session.scalars(
            select(Model).join(ModelName, ModelName.model_id == Model.id).where(ModelName.name == key)
        ).one_or_none()
    if row is None:
        names = list(session.scalars(select(Model.slug))) + list(session.scalars(select(ModelName.name)))
        close = difflib.get_close_matches(key, names, n=5, cutoff=0.5)
        hint = f"Did you mean: {', '.join(close)}?" if close else "Run `registry models` to list the catalog."
        raise ModelNotFound(f"No model named '{slug}' in the catalog.", hint=hint)
    return row


def name_notice(requested: str, model: Model) -> list[str]:
    """The one-line notice when a model was asked for by another name than its slug."""
    key = requested.strip().lower()
    return [] if key == model.slug else [f"'{key}' is a name of {model.slug}: using {model.slug}."]


def names_of(session: Session, model: Model) -> list[str]:
    """The other names ``model`` answers to, sorted."""
    return sorted(session.scalars(select(ModelName.name).where(ModelName.model_id == model.id)))


def versions_of(session: Session, model: Model) -> list[Version]:
    rows = list(session.scalars(select(Version).where(Version.model_id == model.id)))
    return sorted(rows, key=lambda v: semver_of(v).sort_key(), reverse=True)


def latest_version(versions: list[Version]) -> Version | None:
    """The highest active release (no prerelease, not deprecated, not yanked). ``versions`` sorted desc."""
    return next((v for v in versions if v.status == ACTIVE and not v.prerelease), None)


def describe_versions(versions: list[Version]) -> str:
    if not versions:
        return "It has no versions yet."
    shown = [f"{v.version}" + ("" if v.status == ACTIVE else f" ({v.status})") for v in versions[:10]]
    return "Versions: " + ", ".join(shown) + (" ..." if len(versions) > 10 else "")


def get_version(session: Session, model: Model, version: str) -> Version:
    text = str(SemVer.parse(version))
    row = session.scalars(select(Version).where(Version.model_id == model.id, Version.version == text)).one_or_none()
    if row is None:
        raise VersionNotFound(
            f"{model.slug} has no version {text}.", hint=describe_versions(versions_of(session, model))
        )
    return row


def aliases_by_version(session: Session, model: Model) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for name, version_id in session.execute(select(Alias.name, Alias.version_id).where(Alias.model_id == model.id)):
        out.setdefault(version_id, []).append(name)
    return out


def get_alias(session: Session, model: Model, name: str) -> Alias:
    row = session.scalars(
        select(Alias).where(Alias.model_id == model.id, Alias.name == name.strip().lower())
    ).one_or_none()
    if row is None:
        names = sorted(session.scalars(select(Alias.name).where(Alias.model_id == model.id)))
        hint = f"Its aliases: {', '.join(names)}." if names else f"{model.slug} has no aliases yet."
        raise VersionNotFound(f"{model.slug} has no alias '{name}'.", hint=hint)
    return row
