"""skipped pushes

Revision ID: b08d2e8ef393
Revises: 0fa89bb343ce
Create Date: 2026-12-06 07:41:24.571840
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b08d2e8ef393"
down_revision = "0fa89bb343ce"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skippedpush",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("skipped_by", sa.String(), nullable=False),
        sa.Column("skipped_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("skippedpush")
