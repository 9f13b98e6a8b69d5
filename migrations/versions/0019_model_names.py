"""model names: other names a model answers to (a family name such as yolov8 for yolov8n)

Revision ID: 0019_model_names
Revises: 0016
Create Date: 2026-12-07 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_model_names"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_names",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"], name=op.f("fk_model_names_model_id_models"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_model_names")),
    )
    with op.batch_alter_table("model_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_names_model_id"), ["model_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("model_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_names_model_id"))
    op.drop_table("model_names")
