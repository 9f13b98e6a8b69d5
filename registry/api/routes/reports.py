"""A user's own measurement of a build, and a build's benchmark history (superseded estimates included)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from registry.api.deps import ActorDep, PublishAccess, ReadAccess, SessionDep
from registry.api.params import ModelName, VersionText
from registry.entities import BenchmarkInfo, BenchmarkReport, ReportedBenchmark
from registry.service.anchoring import benchmark_history
from registry.service.reports import add_reported_benchmark

router = APIRouter(prefix="/v1", tags=["benchmarks"])


@router.post("/models/{model}/versions/{version}/benchmarks", dependencies=[PublishAccess], status_code=201)
def add_benchmark(
    session: SessionDep, actor: ActorDep, model: ModelName, version: VersionText, report: BenchmarkReport
) -> ReportedBenchmark:
    """Record a latency you measured (``measured-device``, reported by your token's name); it anchors the
    version's estimates. More than 100x off the estimate is refused (422 ``implausible_measurement``) unless
    ``force``."""
    reporter = actor.token_name or (f"token {actor.token_id}" if actor.token_id else "unknown token")
    return add_reported_benchmark(session, model, version, report, reporter=reporter, actor=actor)


@router.get("/builds/{build_id}/benchmarks", dependencies=[ReadAccess])
def build_benchmarks(
    session: SessionDep, build_id: Annotated[int, Path(ge=1, le=2**63 - 1)], include_superseded: bool = True
) -> list[BenchmarkInfo]:
    """Every benchmark of a build; superseded estimates name the row that replaced them (``superseded_by``)."""
    return benchmark_history(session, build_id, include_superseded=include_superseded)
