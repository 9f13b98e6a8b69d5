"""A user's own measurement of a build, and a build's benchmark history (superseded estimates included)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from registry.api.deps import CredentialsDep, PublishAccess, ReadAccess, SessionDep
from registry.models import ApiToken
from registry.service.anchoring import benchmark_history
from registry.service.entities import BenchmarkInfo, BenchmarkReport, ReportedBenchmark
from registry.service.reports import add_reported_benchmark
from registry.service.tokens import hash_token

router = APIRouter(prefix="/v1", tags=["benchmarks"])


@router.post("/models/{model}/versions/{version}/benchmarks", dependencies=[PublishAccess], status_code=201)
def add_benchmark(
    session: SessionDep, credentials: CredentialsDep, model: str, version: str, report: BenchmarkReport
) -> ReportedBenchmark:
    """Record a latency you measured (``measured-device``, reported by your token's name); it anchors the
    version's estimates. More than 100x off the estimate is refused (422 ``implausible_measurement``) unless
    ``force``."""
    token = credentials.credentials if credentials else ""
    row = session.execute(
        select(ApiToken.name, ApiToken.prefix).where(ApiToken.token_hash == hash_token(token))
    ).one_or_none()
    reporter = (row.name or f"token {row.prefix}") if row else "unknown token"  # an unnamed token: its prefix
    return add_reported_benchmark(session, model, version, report, reporter=reporter)


@router.get("/builds/{build_id}/benchmarks", dependencies=[ReadAccess])
def build_benchmarks(
    session: SessionDep, build_id: Annotated[int, Path(ge=1, le=2**63 - 1)], include_superseded: bool = True
) -> list[BenchmarkInfo]:
    """Every benchmark of a build; superseded estimates name the row that replaced them (``superseded_by``)."""
    return benchmark_history(session, build_id, include_superseded=include_superseded)
