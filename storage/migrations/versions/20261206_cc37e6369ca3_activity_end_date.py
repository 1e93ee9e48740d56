"""activity end_date

A multi-day activity (4月22日至24日) is one row from its first day (date) to its last (end_date).
The column is nullable: rows already there are one-day activities, as they were recorded.

Revision ID: cc37e6369ca3
Revises: a491cbca1d5e
Create Date: 2026-12-06 07:42:13.901430
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cc37e6369ca3"
down_revision = "a491cbca1d5e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("end_date")
