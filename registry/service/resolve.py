"""(model, device, precision, runtime?, version | alias | latest) -> exactly one build."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.devices import resolve_device
from registry.errors import BuildNotFound, InvalidInput, VersionNotFound
from registry.models import Build, BuildFile, Device, Model, Version
from registry.service import lookup
from registry.service.convert import build_info
from registry.service.entities import Resolution
from registry.vocab import PORTABLE_TARGET, normalize_precision, normalize_runtime

# Among portable builds of the same precision, the one a caller gets when they name no runtime.
PORTABLE_RUNTIME_PREFERENCE = ("onnx", "tflite", "qnn_dlc")
CHIPSET_RUNTIME_PREFERENCE = ("qnn_context_binary", "precompiled_qnn_onnx")


def resolve(
    session: Session,
    model: str,
    device: str,
    precision: str,
    *,
    runtime: str | None = None,
    version: str | None = None,
    alias: str | None = None,
) -> Resolution:
    if version and alias:
        raise InvalidInput("Give a version or an alias, not both.", hint="Pin with version=, or follow alias=.")
    precision = normalize_precision(precision)
    runtime = normalize_runtime(runtime) if runtime else None
    model_row = lookup.get_model(session, model)
    device_row = resolve_device(session, device)
    version_row, warnings = _pick_version(session, model_row, version, alias)

    query = select(Build).where(
        Build.version_id == version_row.id,
        Build.precision == precision,
        Build.target.in_((device_row.chipset, PORTABLE_TARGET)),
    )
    if runtime:
        query = query.where(Build.runtime == runtime)
    candidates = list(session.scalars(query))
    if not candidates:
        raise BuildNotFound(
            f"{model_row.slug}@{version_row.version} has no {precision} build"
            + (f" for runtime {runtime}" if runtime else "")
            + f" that runs on {device_row.marketing_name} ({device_row.slug}).",
            hint=_what_exists(session, version_row),
        )
    build = min(candidates, key=_preference)
    files = session.scalars(select(BuildFile).where(BuildFile.build_id == build.id))
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
        if row.status == "yanked":
            warnings.append(
                f"{model.slug}@{row.version} is yanked"
                + (f" ({row.status_reason})" if row.status_reason else "")
                + ": you get it only because you pinned it exactly. Move to a newer version."
            )
        elif row.status == "deprecated":
            warnings.append(
                f"{model.slug}@{row.version} is deprecated" + (f": {row.status_reason}" if row.status_reason else ".")
            )
        return row, warnings
    if alias and alias != "latest":
        alias_row = lookup.get_alias(session, model, alias)
        row = session.get_one(Version, alias_row.version_id)
        if row.status == "yanked":
            raise VersionNotFound(
                f"Alias '{alias}' of {model.slug} points at {row.version}, which is yanked.",
                hint=f"Pin it exactly with --version {row.version} if you must, or move the alias.",
            )
        warnings = [f"{model.slug}@{row.version} is deprecated."] if row.status == "deprecated" else []
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
