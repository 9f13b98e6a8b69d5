"""Migrations: one head, upgrade leaves no diff against the models, downgrade to base is clean."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from registry import migrate
from registry.db import make_engine
from registry.models import Base


def test_single_head(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert len(migrate.heads(engine)) == 1


def test_upgrade_matches_models_and_downgrade_is_clean(database_url: str) -> None:
    # database_url comes migrated from a template; start from an empty database instead.
    engine = make_engine(database_url)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.heads(engine)[0]
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_existing_evaluations_get_their_scale(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Rows from before 25_evaluation_units are read as percent, fraction, cosine, dB or score by their metric."""
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    migrate.upgrade(engine, "24_anchored_estimates")
    rows = [
        ("top1_accuracy_pct", "accuracy", 97.2),
        ("paraphrase_retrieval_accuracy", "accuracy", 1.0),
        ("cosine", "fidelity", 0.993),
        ("sqnr_db", "fidelity", 28.0),
        ("word_error_rate", "accuracy", 12.5),
    ]
    with engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        for i, (metric, kind, value) in enumerate(rows, start=1):
            conn.execute(
                text(
                    "INSERT INTO evaluations (id, model_id, precision, runtime, provenance, source, dataset, metric,"
                    " kind, value, sample_count, higher_is_better, details, created_at) VALUES (:i, 1, 'float',"
                    " 'onnx', 'published', 's', 'd', :m, :k, :v, 1, 1, '{}', '2026-12-07')"
                ),
                {"i": i, "m": metric, "k": kind, "v": value},
            )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        units = dict(conn.execute(text("SELECT metric, unit FROM evaluations")).all())
    assert units == {
        "top1_accuracy_pct": "percent",
        "paraphrase_retrieval_accuracy": "fraction",
        "cosine": "cosine",
        "sqnr_db": "dB",
        "word_error_rate": "score",
    }
    engine.dispose()
