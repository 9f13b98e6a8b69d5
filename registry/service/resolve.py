"""(model, device, precision, runtime?, version | alias | latest) -> exactly one build."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, and_, bindparam, select
from sqlalchemy.orm import Session

from registry import compat
from registry.devices import resolve_device
from registry.entities import BuildInfo, BuildInterface, BuildRequirements, FileInfo, Resolution
from registry.errors import BuildNotFound, InvalidInput, RuntimeIncompatible, VersionNotFound
from registry.models import Alias, Build, BuildFile, Device, DeviceName, Model, Version
from registry.service import lookup
from registry.service.convert import build_info
from registry.service.digests import build_digest, find_by_digest, is_digest_ref
from registry.vocab import (
    ACTIVE,
    CHIPSET_RUNTIME_PREFERENCE,
    DEPRECATED,
    PORTABLE_RUNTIME_PREFERENCE,
    PORTABLE_TARGET,
    YANKED,
    SemVer,
    normalize_name,
    normalize_precision,
    normalize_runtime,
)

T = TypeVar("T")

# Among portable builds of the same precision, the one a caller gets when they name no runtime.


def resolve(
    session: Session,
    model: str,
    device: str,
    precision: str,
    *,
    runtime: str | None = None,
    version: str | None = None,
    alias: str | None = None,
    runtime_versions: Mapping[str, str] | Sequence[str] | None = None,
) -> Resolution:
    """``runtime_versions`` (``{"onnxruntime": "1.20"}``, see ``registry.compat``) keeps only builds that load on
    those runtimes; when it leaves none, ``RuntimeIncompatible`` names what each build needs."""
    if version and alias:
        raise InvalidInput("Give a version or an alias, not both.", hint="Pin with version=, or follow alias=.")
    constraints = compat.parse_runtime_versions(runtime_versions)
    precision = normalize_precision(precision)
    runtime = normalize_runtime(runtime) if runtime else None
    model_row = lookup.get_model(session, model)
    device_row = resolve_device(session, device)
    pinned_build = None
    if is_digest_ref(version):  # MODEL@sha256:<version content digest or build digest>
        match = find_by_digest(session, model_row, str(version))
        version, pinned_build = match.version.version, match.build_id
    version_row, warnings = _pick_version(session, model_row, version, alias)

    query = select(Build).where(
        Build.version_id == version_row.id,
        Build.precision == precision,
        Build.target.in_((device_row.chipset, PORTABLE_TARGET)),
    )
    if runtime:
        query = query.where(Build.runtime == runtime)
    if pinned_build is not None:
        query = query.where(Build.id == pinned_build)
    candidates = list(session.scalars(query))
    if not candidates:
        raise BuildNotFound(
            f"{model_row.slug}@{version_row.version} has no {precision} build"
            + (f" for runtime {runtime}" if runtime else "")
            + (" matching that build digest" if pinned_build is not None else "")
            + f" that runs on {device_row.marketing_name} ({device_row.slug}).",
            hint=_what_exists(session, version_row),
        )
    label = f"{model_row.slug}@{version_row.version}"
    loadable, unchecked = filter_loadable(candidates, constraints, label, lambda b: (b.precision, b.runtime))
    warnings += unchecked
    build = min(loadable, key=_preference)
    files = list(session.scalars(select(BuildFile).where(BuildFile.build_id == build.id)))
    return Resolution(
        model=model_row.slug,
        version=version_row.version,
        version_status=version_row.status,
        device=device_row.chipset,
        device_slug=device_row.slug,
        precision=build.precision,
        runtime=build.runtime,
        target=build.target,
        build=build_info(build, model_row.slug, version_row.version, files),
        warnings=warnings,
        content_digest=version_row.content_digest,
        build_digest=build_digest(
            build.precision, build.runtime, build.target, [(f.path, f.blob_sha256, f.size) for f in files]
        ),
        notices=lookup.name_notice(model, model_row),
    )


def _preference(build: Build) -> tuple[int, int]:
    """Chipset-specific builds first, then portable ones in PORTABLE_RUNTIME_PREFERENCE order."""
    order = CHIPSET_RUNTIME_PREFERENCE + PORTABLE_RUNTIME_PREFERENCE
    rank = order.index(build.runtime) if build.runtime in order else len(order)
    return (0 if build.target != PORTABLE_TARGET else 1, rank)


def _pick_version(session: Session, model: Model, version: str | None, alias: str | None) -> tuple[Version, list[str]]:
    if version:
        row = lookup.get_version(session, model, version)
        warnings = []
        if row.status == YANKED:
            warnings.append(
                f"{model.slug}@{row.version} is yanked"
                + (f" ({row.status_reason})" if row.status_reason else "")
                + ": you get it only because you pinned it exactly. Move to a newer version."
            )
        elif row.status == DEPRECATED:
            warnings.append(
                f"{model.slug}@{row.version} is deprecated" + (f": {row.status_reason}" if row.status_reason else ".")
            )
        return row, warnings
    if alias and alias != "latest":
        alias_row = lookup.get_alias(session, model, alias)
        row = session.get_one(Version, alias_row.version_id)
        if row.status == YANKED:
            raise VersionNotFound(
                f"Alias '{alias}' of {model.slug} points at {row.version}, which is yanked.",
                hint=f"Pin it exactly with --version {row.version} if you must, or move the alias.",
            )
        warnings = [f"{model.slug}@{row.version} is deprecated."] if row.status == DEPRECATED else []
        return row, warnings
    versions = lookup.versions_of(session, model)
    latest = lookup.latest_version(versions)
    if latest is None:
        raise VersionNotFound(
            f"{model.slug} has no active release, so 'latest' means nothing.",
            hint=lookup.describe_versions(versions) + " Pin one with --version.",
        )
    return latest, []


def _what_exists(session: Session, version: Version) -> str:
    rows = session.execute(
        select(Build.precision, Build.runtime, Build.target, Device.slug)
        .outerjoin(Device, Device.chipset == Build.target)
        .where(Build.version_id == version.id)
        .order_by(Build.precision, Build.runtime, Build.target)
    ).all()
    if not rows:
        return "That version has no builds at all."
    shown = [f"{p}/{r}/{slug or t}" for p, r, t, slug in rows[:20]]
    return "It has (precision/runtime/target): " + ", ".join(shown) + (" ..." if len(rows) > 20 else "")


def filter_loadable(
    candidates: Sequence[T], constraints: Mapping[str, str], label: str, key: Callable[[T], tuple[str, str]]
) -> tuple[list[T], list[str]]:
    """The candidates whose recorded requirements the stated runtimes meet (every one without constraints), with
    a warning for each kept build that records no minimum for a stated axis; none left: ``RuntimeIncompatible``.
    A candidate is a ``Build`` row or a fast-path row (both have ``requirements``); ``key`` gives its
    (precision, runtime)."""
    if not constraints:
        return list(candidates), []
    kept: list[T] = []
    warnings: list[str] = []
    refused: list[dict[str, Any]] = []
    for c in candidates:
        precision, runtime = key(c)
        requirements = getattr(c, "requirements", None) or {}
        problems = compat.unmet(requirements, constraints)
        if problems:
            refused.append({"build": f"{label} {precision}/{runtime}", "unmet": problems})
            continue
        kept.append(c)
        axes = compat.unchecked(requirements, runtime, constraints)
        if axes:
            warnings.append(compat.unchecked_warning(f"{label} {precision}/{runtime}", axes))
    if not kept:
        refused.sort(key=lambda r: str(r["build"]))
        said = "; ".join(f"{r['build']} {', '.join(r['unmet'])}" for r in refused)
        raise RuntimeIncompatible(
            f"No build loads on the runtime you ship: {said}.",
            hint="Upgrade that runtime, or pull another version or precision (registry show lists each build's needs).",
            extra={"constraints": dict(constraints), "builds": refused},
        )
    return kept, warnings


# ---------------------------------------------------------------- the one-query fast path (the API's hot path)


def resolve_fast(
    conn: Connection,
    session_resolve: Any,
    model: str,
    device: str,
    precision: str,
    *,
    runtime: str | None = None,
    version: str | None = None,
    alias: str | None = None,
    file_url: Callable[[str], str] | None = None,
    runtime_versions: Mapping[str, str] | Sequence[str] | None = None,
) -> Resolution:
    """``resolve`` answered by one indexed SQL statement (model, device name, version, builds and their files).

    Only the ordinary answer is computed here; anything else (an unknown model, device, version or alias, a yanked
    alias target, no matching build) is handed to ``session_resolve`` (a callable running ``resolve`` in a
    session), so every error and hint stays exactly the one ``resolve`` gives. Nothing is cached: every call reads
    the database, so a publish, alias move, deprecation or yank is seen by the very next call. ``file_url`` maps a
    sha256 to the download URL set on each file (the API's blob URL).
    """

    def slow() -> Resolution:
        r: Resolution = session_resolve(
            model, device, precision, runtime=runtime, version=version, alias=alias, runtime_versions=constraints
        )
        if file_url is None:
            return r
        files = [f.model_copy(update={"url": file_url(f.sha256)}) for f in r.build.files]
        return r.model_copy(update={"build": r.build.model_copy(update={"files": files})})

    constraints = compat.parse_runtime_versions(runtime_versions)
    if version and alias:
        return slow()
    precision_key = normalize_precision(precision)
    runtime_key = normalize_runtime(runtime) if runtime else None
    device_key = normalize_name(device or "")
    if not device_key:
        return slow()
    params: dict[str, Any] = {"model": model.strip().lower(), "device_key": device_key, "precision": precision_key}
    if version:
        try:
            params["version"] = str(SemVer.parse(version))
        except InvalidInput:
            return slow()  # the same error, raised in the same order as resolve() raises it
        mode = "version"
    elif alias and alias != "latest":
        params["alias"] = alias.strip().lower()
        mode = "alias"
    else:
        mode = "latest"
    if runtime_key:
        params["runtime"] = runtime_key
    rows = conn.execute(_fast_statement(mode, runtime_key is not None), params).all()
    if not rows:
        return slow()
    first = rows[0]
    status, reason = first.version_status, first.status_reason
    if mode == "alias" and status == YANKED:
        return slow()  # an error that names the yanked version
    warnings: list[str] = []
    if mode == "version":
        if status == YANKED:
            warnings.append(
                f"{first.model_slug}@{first.version} is yanked"
                + (f" ({reason})" if reason else "")
                + ": you get it only because you pinned it exactly. Move to a newer version."
            )
        elif status == DEPRECATED:
            warnings.append(f"{first.model_slug}@{first.version} is deprecated" + (f": {reason}" if reason else "."))
    elif mode == "alias" and status == DEPRECATED:
        warnings.append(f"{first.model_slug}@{first.version} is deprecated.")
    label = f"{first.model_slug}@{first.version}"
    builds = list({r.build_id: r for r in rows}.values())
    if constraints:
        try:
            builds, unchecked = filter_loadable(builds, constraints, label, lambda r: (r.precision, r.runtime))
        except RuntimeIncompatible:
            return slow()  # the error exactly as resolve() words it
        warnings += unchecked
    best = min(builds, key=lambda r: _rank(r.target, r.runtime))
    files = sorted((r for r in rows if r.build_id == best.build_id and r.path is not None), key=lambda r: r.path)
    build = BuildInfo(
        id=best.build_id,
        model=first.model_slug,
        version=first.version,
        precision=best.precision,
        runtime=best.runtime,
        target=best.target,
        files=[
            FileInfo(
                path=f.path,
                sha256=f.blob_sha256,
                size=f.size,
                component=f.component,
                url=file_url(f.blob_sha256) if file_url else None,
            )
            for f in files
        ],
        details=best.details or {},
        requirements=BuildRequirements.model_validate(best.requirements or {}),
        interface=BuildInterface.model_validate(best.interface or {}),
        mlflow_model_name=best.mlflow_model_name,
        mlflow_model_version=best.mlflow_model_version,
        created_at=best.created_at,
    )
    return Resolution(
        model=first.model_slug,
        version=first.version,
        version_status=status,
        device=first.chipset,
        device_slug=first.device_slug,
        precision=build.precision,
        runtime=build.runtime,
        target=build.target,
        build=build,
        warnings=warnings,
        content_digest=first.content_digest,
        build_digest=build_digest(
            build.precision, build.runtime, build.target, [(f.path, f.sha256, f.size) for f in build.files]
        ),
    )


def _rank(target: str, runtime: str) -> tuple[int, int]:
    order = CHIPSET_RUNTIME_PREFERENCE + PORTABLE_RUNTIME_PREFERENCE
    return (0 if target != PORTABLE_TARGET else 1, order.index(runtime) if runtime in order else len(order))


@cache
def _fast_statement(mode: str, with_runtime: bool) -> Select[*tuple[Any, ...]]:
    """Built once per (mode, runtime given): SQLAlchemy then reuses its compiled form from the statement cache."""
    stmt = (
        select(
            Model.slug.label("model_slug"),
            Version.version,
            Version.status.label("version_status"),
            Version.status_reason,
            Version.content_digest,
            Device.chipset,
            Device.slug.label("device_slug"),
            Build.id.label("build_id"),
            Build.precision,
            Build.runtime,
            Build.target,
            Build.details,
            Build.requirements,
            Build.interface,
            Build.mlflow_model_name,
            Build.mlflow_model_version,
            Build.created_at,
            BuildFile.path,
            BuildFile.blob_sha256,
            BuildFile.size,
            BuildFile.component,
        )
        .select_from(DeviceName)
        .join(Device, Device.chipset == DeviceName.chipset)
        .join(Model, Model.slug == bindparam("model"))
        .join(Version, Version.model_id == Model.id)
        .join(
            Build,
            and_(
                Build.version_id == Version.id,
                Build.precision == bindparam("precision"),
                Build.target.in_([Device.chipset, PORTABLE_TARGET]),
            ),
        )
        .outerjoin(BuildFile, BuildFile.build_id == Build.id)
        .where(DeviceName.key == bindparam("device_key"))
    )
    if with_runtime:
        stmt = stmt.where(Build.runtime == bindparam("runtime"))
    if mode == "version":
        return stmt.where(Version.version == bindparam("version"))
    if mode == "alias":
        return stmt.join(
            Alias, and_(Alias.model_id == Model.id, Alias.name == bindparam("alias"), Alias.version_id == Version.id)
        )
    latest = (
        select(Version.id)
        .where(Version.model_id == Model.id, Version.status == ACTIVE, Version.prerelease == "")
        .order_by(Version.major.desc(), Version.minor.desc(), Version.patch.desc())
        .limit(1)
        .correlate(Model)
        .scalar_subquery()
    )
    return stmt.where(Version.id == latest)
