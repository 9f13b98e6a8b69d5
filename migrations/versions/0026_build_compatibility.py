"""build compatibility: what runtime versions load a build (requirements) and its interface

Revision ID: 26_build_compatibility
Revises: 25_evaluation_units
Create Date: 2026-12-07 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "26_build_compatibility"
down_revision: str | Sequence[str] | None = "25_evaluation_units"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("builds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requirements", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("interface", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("builds", schema=None) as batch_op:
        batch_op.drop_column("interface")
        batch_op.drop_column("requirements")
