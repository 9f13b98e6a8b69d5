"""signatures: DSSE envelopes over each version's provenance statement (issue 22)

Revision ID: 22_signatures
Revises: 0019_model_names
Create Date: 2026-12-07 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "22_signatures"
down_revision: str | Sequence[str] | None = "0019_model_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=80), nullable=False),
        sa.Column("statement_sha256", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_signatures_version_id_versions"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint("version_id", "key_id", name=op.f("uq_signatures_version_id_key_id")),
    )
    op.create_index(op.f("ix_signatures_version_id"), "signatures", ["version_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_signatures_version_id"), table_name="signatures")
    op.drop_table("signatures")
