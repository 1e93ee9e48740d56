"""backups, plaintext nonces, desk sessions, re-handling

Revision ID: 0fa89bb343ce
Revises: f11ad9a76e56
Create Date: 2026-12-06 07:29:49.000616
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0fa89bb343ce"
down_revision = "f11ad9a76e56"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backuprun",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("archive", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "callback_nonce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("query_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "query_timestamp", "nonce"),
    )
    with op.batch_alter_table("callback_nonce", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_nonce_query_timestamp"), ["query_timestamp"], unique=False)

    op.create_table(
        "desksession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "inboundretry",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["inboundmessage.id"],
        ),
        sa.PrimaryKeyConstraint("message_id"),
    )


def downgrade() -> None:
    op.drop_table("inboundretry")
    op.drop_table("desksession")
    with op.batch_alter_table("callback_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_nonce_query_timestamp"))

    op.drop_table("callback_nonce")
    op.drop_table("backuprun")
