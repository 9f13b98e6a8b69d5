"""The ``ingest_runs`` rows: one per ingest of a model into the embedded catalog, with its outcome per build.

Ingest records through these functions (as every other write goes through the service); they flush, the caller
owns the transaction. A remote ingest keeps no row on the server: its log file stays on the client.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from registry.models import IngestRun


def start_ingest_run(
    session: Session, *, model: str, version: str | None, backend: str, recipe_hash: str, log_path: str | None
) -> int:
    """A ``running`` row; returns its id for ``finish_ingest_run``."""
    row = IngestRun(
        model_slug=model, version=version, backend=backend, recipe_hash=recipe_hash, log_path=log_path, details={}
    )
    session.add(row)
    session.flush()
    return row.id


def finish_ingest_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    details: dict[str, Any],
    mlflow_run_id: str | None,
    failed: dict[str, Any],
) -> None:
    """The run's outcome: status, per-build details (made JSON-safe), its MLflow run, what failed and why."""
    row = session.get_one(IngestRun, run_id)
    row.status = status
    row.finished_at = datetime.now(UTC)
    row.details = json.loads(json.dumps(details, default=str))
    row.mlflow_run_id = mlflow_run_id
    row.error = json.dumps(failed) if failed else None
    session.flush()


def record_refused_run(
    session: Session, *, model: str, version: str | None, code: str, detail: str, log_path: str | None
) -> None:
    """An ingest refused before any build (not a model file, say): a failed row and nothing else."""
    session.add(
        IngestRun(
            model_slug=model,
            version=version,
            backend="local",
            recipe_hash="-",
            status="failed",
            error=json.dumps({"*": detail}),
            log_path=log_path,
            finished_at=datetime.now(UTC),
            details={"_run": {"error": code}},
        )
    )
    session.flush()
