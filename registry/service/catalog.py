"""Reading the catalog: list and search models, show a model, list devices."""

from __future__ import annotations

import base64
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from registry.devices import list_devices as _list_devices
from registry.devices import resolve_device
from registry.entities import BuildInfo, DeviceInfo, ModelDetail, ModelInfo
from registry.errors import BuildNotFound, InvalidInput
from registry.models import Alias, Benchmark, Build, BuildFile, Device, Evaluation, Model, ModelName, Version
from registry.service import lookup
from registry.service.convert import (
    benchmark_info,
    build_info,
    device_info,
    evaluation_info,
    model_info,
    semver_of,
    version_info,
)
from registry.vocab import PORTABLE_TARGET, SLUG_RE, YANKED, ModelFilter, normalize_precision, normalize_runtime


def search_models(session: Session, flt: ModelFilter | None = None) -> list[ModelInfo]:
    """Models matching every filter; device/precision/runtime match any build of a non-yanked version."""
    items, _ = search_page(session, flt, limit=None)
    return items


def search_page(
    session: Session, flt: ModelFilter | None = None, *, limit: int | None = 100, cursor: str | None = None
) -> tuple[list[ModelInfo], str | None]:
    """One page of matching models ordered by slug, and the cursor of the next page (None at the end)."""
    query = _filtered(session, flt or ModelFilter())
    if cursor:
        query = query.where(Model.slug > _decode_cursor(cursor))
    query = query.order_by(Model.slug)
    if limit is not None:
        query = query.limit(limit + 1)
    models = list(session.scalars(query))
    more = limit is not None and len(models) > limit
    models = models[:limit] if limit is not None else models
    next_cursor = _encode_cursor(models[-1].slug) if more and models else None
    return _model_summaries(session, models), next_cursor


def _encode_cursor(slug: str) -> str:
    return base64.urlsafe_b64encode(slug.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        slug = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        slug = ""
    # Only a cursor this API handed out: "garbage" decodes to bytes too, and must not silently mean page 1.
    if not slug or _encode_cursor(slug) != cursor or not SLUG_RE.fullmatch(slug):
        raise InvalidInput("Invalid cursor.", hint="Pass back the next_cursor of the previous page.")
    return slug


def _filtered(session: Session, flt: ModelFilter) -> Select[Model]:
    from registry.service.filter_values import check_filter_values

    check_filter_values(session, task=flt.task, domain=flt.domain, precision=flt.precision, runtime=flt.runtime)
    query = select(Model)
    if flt.task:
        query = query.where(func.lower(Model.task) == flt.task.lower())
    if flt.domain:
        query = query.where(func.lower(Model.domain) == flt.domain.lower())
    if flt.license:
        query = query.where(func.lower(Model.license) == flt.license.lower())
    if flt.text:
        like = f"%{flt.text.lower()}%"
        query = query.where(
            or_(
                func.lower(Model.slug).like(like),
                func.lower(Model.name).like(like),
                func.lower(Model.description).like(like),
            )
        )
    if flt.device or flt.precision or flt.runtime or flt.max_latency_ms is not None or flt.min_accuracy is not None:
        builds = select(Version.model_id).join(Build, Build.version_id == Version.id).where(Version.status != YANKED)
        chipset = resolve_device(session, flt.device).chipset if flt.device else None
        if chipset:
            builds = builds.where(Build.target.in_((chipset, PORTABLE_TARGET)))
        if flt.precision:
            builds = builds.where(Build.precision == normalize_precision(flt.precision))
        if flt.runtime:
            builds = builds.where(Build.runtime == normalize_runtime(flt.runtime))
        if flt.max_latency_ms is not None:
            builds = builds.where(
                select(Benchmark.id)
                .where(
                    Benchmark.build_id == Build.id,
                    # Latency is per device: without one, a build qualifies when it is fast enough on any device.
                    Benchmark.device_chipset == chipset if chipset else Benchmark.device_chipset.is_not(None),
                    Benchmark.latency_ms <= flt.max_latency_ms,
                    Benchmark.superseded_at.is_(None),
                )
                .exists()
            )
        if flt.min_accuracy is not None:
            builds = builds.where(_accurate_enough(accuracy_threshold(flt.min_accuracy)))
        query = query.where(Model.id.in_(builds))
    if flt.min_accuracy is not None:  # random weights have no accuracy worth filtering on
        query = query.where(Model.weights != "random")
    return query


def accuracy_threshold(value: float) -> float:
    """``min_accuracy`` as a fraction: 0.6 and 60 both mean 60% (no accuracy fraction is over 1)."""
    return value / 100.0 if value > 1.0 else value


def _accurate_enough(threshold: float) -> Any:
    """A build has an accuracy (task metric, higher is better) on a 0-1 or 0-100 scale at or over ``threshold``
    (a fraction): percentages are divided by 100, and metrics on other scales (cosine, dB, scores) never match."""
    as_fraction = case((Evaluation.unit == "percent", Evaluation.value / 100.0), else_=Evaluation.value)
    return (
        select(Evaluation.id)
        .where(
            Evaluation.build_id == Build.id,
            Evaluation.kind == "accuracy",
            Evaluation.higher_is_better.is_(True),
            Evaluation.unit.in_(("fraction", "percent")),
            as_fraction >= threshold,
        )
        .exists()
    )


def _model_summary(session: Session, model: Model) -> ModelInfo:
    versions = lookup.versions_of(session, model)
    latest = lookup.latest_version(versions)
    by_id = {v.id: v.version for v in versions}
    aliases = {a.name: by_id[a.version_id] for a in session.scalars(select(Alias).where(Alias.model_id == model.id))}
    return model_info(model, latest.version if latest else None, aliases, lookup.names_of(session, model))


def _model_summaries(session: Session, models: list[Model]) -> list[ModelInfo]:
    """The summaries of a page of models from one query (their versions, each with its aliases), whatever the
    page size: a query per model made the UI's 500-model page cost 1,000 round trips."""
    if not models:
        return []
    rows = session.execute(
        select(Version, Alias.name)
        .outerjoin(Alias, Alias.version_id == Version.id)
        .where(Version.model_id.in_([m.id for m in models]))
    )
    versions: dict[int, dict[int, Version]] = defaultdict(dict)
    aliases: dict[int, dict[str, str]] = defaultdict(dict)
    for version, alias in rows:
        versions[version.model_id][version.id] = version
        if alias is not None:
            aliases[version.model_id][alias] = version.version
    names: dict[int, list[str]] = defaultdict(list)
    for model_id, name in session.execute(
        select(ModelName.model_id, ModelName.name)
        .where(ModelName.model_id.in_([m.id for m in models]))
        .order_by(ModelName.name)
    ):
        names[model_id].append(name)
    summaries = []
    for model in models:
        ordered = sorted(versions[model.id].values(), key=lambda v: semver_of(v).sort_key(), reverse=True)
        latest = lookup.latest_version(ordered)
        summaries.append(model_info(model, latest.version if latest else None, aliases[model.id], names[model.id]))
    return summaries


def show_model(session: Session, slug: str, version: str | None = None) -> ModelDetail:
    """A model with its versions, and the builds (files, benchmarks, evaluations) of one version."""
    model = lookup.get_model(session, slug)
    versions = lookup.versions_of(session, model)
    aliases = lookup.aliases_by_version(session, model)
    counts = dict(
        session.execute(
            select(Build.version_id, func.count())
            .join(Version)
            .where(Version.model_id == model.id)
            .group_by(Build.version_id)
        ).all()
    )
    infos = [version_info(v, model.slug, aliases.get(v.id, []), counts.get(v.id, 0)) for v in versions]
    chosen = (
        lookup.get_version(session, model, version)
        if version
        else (lookup.latest_version(versions) or (versions[0] if versions else None))
    )
    summary = _model_summary(session, model)
    if chosen is None:
        return ModelDetail(model=summary, versions=infos)
    builds = list(session.scalars(select(Build).where(Build.version_id == chosen.id).order_by(Build.id)))
    ids = [b.id for b in builds]
    files: dict[int, list[BuildFile]] = defaultdict(list)
    for f in session.scalars(select(BuildFile).where(BuildFile.build_id.in_(ids))):
        files[f.build_id].append(f)
    slugs = dict(session.execute(select(Device.chipset, Device.slug)).all())
    benches = defaultdict(list)
    current = select(Benchmark).where(Benchmark.build_id.in_(ids), Benchmark.superseded_at.is_(None))
    for b in session.scalars(current.order_by(Benchmark.id)):  # superseded estimates: ``benchmark_history``
        benches[b.build_id].append(benchmark_info(b, slugs))
    evals = defaultdict(list)
    for e in session.scalars(select(Evaluation).where(Evaluation.build_id.in_(ids)).order_by(Evaluation.id)):
        evals[e.build_id].append(evaluation_info(e))
    chosen_info = next(i for i in infos if i.version == chosen.version)
    return ModelDetail(
        model=summary,
        versions=infos,
        version=chosen_info,
        builds=[build_info(b, model.slug, chosen.version, files[b.id], benches[b.id], evals[b.id]) for b in builds],
    )


def get_build(session: Session, build_id: int) -> BuildInfo:
    """One build with its files, benchmarks and evaluations."""
    build = session.get(Build, build_id)
    if build is None:
        raise BuildNotFound(f"No build with id {build_id}.")
    version = session.get_one(Version, build.version_id)
    model = session.get_one(Model, version.model_id)
    detail = show_model(session, model.slug, version.version)
    return next(b for b in detail.builds if b.id == build_id)


def list_devices(session: Session, *, with_counts: bool = False) -> list[DeviceInfo]:
    counts: dict[str, int] = {}
    if with_counts:
        portable = session.scalar(select(func.count()).select_from(Build).where(Build.target == PORTABLE_TARGET)) or 0
        specific = dict(
            session.execute(
                select(Build.target, func.count()).where(Build.target != PORTABLE_TARGET).group_by(Build.target)
            ).all()
        )
        counts = {chipset: portable + n for chipset, n in specific.items()}
        return [device_info(d, counts.get(d.chipset, portable)) for d in _list_devices(session)]
    return [device_info(d) for d in _list_devices(session)]


def get_device(session: Session, name: str) -> DeviceInfo:
    return device_info(resolve_device(session, name))
