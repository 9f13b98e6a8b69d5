"""anchored estimates: benchmarks are superseded, not deleted; a user's report names its reporter

Revision ID: 24_anchored_estimates
Revises: 22_signatures
Create Date: 2026-12-07 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "24_anchored_estimates"
down_revision: str | Sequence[str] | None = "22_signatures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmarks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reported_by", sa.String(length=100), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmarks_superseded_by_benchmarks"),
            "benchmarks",
            ["superseded_by"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("benchmarks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_benchmarks_superseded_by_benchmarks"), type_="foreignkey")
        batch_op.drop_column("reported_by")
        batch_op.drop_column("superseded_by")
        batch_op.drop_column("superseded_at")
