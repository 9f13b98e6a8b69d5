"""evaluation units: every evaluation names its scale (fraction, percent, cosine, dB or score)

Existing rows are filled by the rules of ``registry.vocab.evaluation_unit`` (frozen here): the metric's name first
(``cosine``, ``_db``/PSNR/SQNR, ``_pct``), then an accuracy between 0 and 1 is a fraction; the rest are scores.

Revision ID: 25_evaluation_units
Revises: 24_anchored_estimates
Create Date: 2026-12-07 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "25_evaluation_units"
down_revision: str | Sequence[str] | None = "24_anchored_estimates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = [
    ("cosine", "lower(metric) LIKE 'cosine%'"),
    ("dB", "lower(metric) LIKE '%\\_db' ESCAPE '\\' OR lower(metric) LIKE '%psnr%' OR lower(metric) LIKE '%sqnr%'"),
    ("percent", "lower(metric) LIKE '%\\_pct' ESCAPE '\\' OR lower(metric) LIKE '%percent%'"),
    ("fraction", "kind = 'accuracy' AND value >= 0 AND value <= 1"),
]


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit", sa.String(length=16), server_default="score", nullable=False))
    for unit, where in BACKFILL:  # first rule wins: each update touches only rows still at the default
        op.execute(sa.text(f"UPDATE evaluations SET unit = '{unit}' WHERE unit = 'score' AND ({where})"))
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_evaluations_unit"), "unit IN ('fraction', 'percent', 'cosine', 'dB', 'score')"
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_evaluations_unit"), type_="check")
        batch_op.drop_column("unit")
