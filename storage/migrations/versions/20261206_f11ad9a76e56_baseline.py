"""Baseline: the tables weekbot shipped before Alembic (d5f0482)

Revision ID: f11ad9a76e56
Revises:
Create Date: 2026-12-06

The tables are written out here, not taken from the models, so this revision means the same
thing when the models have moved on. It runs on an empty database and on one made by an earlier
weekbot (create_all and storage/schema.py, no alembic_version): storage.migrations.adopt brings
such a database to these tables (missing unique keys, indexes and nullable columns included), and
Alembic then records it at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrations.adopt import bring_to

revision = "f11ad9a76e56"
down_revision = None
branch_labels = None
depends_on = None

BASELINE = sa.MetaData()

sa.Table(
    "accesstoken",
    BASELINE,
    sa.Column("app_key", sa.String(), primary_key=True, nullable=False),
    sa.Column("token", sa.String(), nullable=False),
    sa.Column("expires_at", sa.DateTime(), nullable=True),
    sa.Column("refreshing_until", sa.DateTime(), nullable=True),
)
sa.Table(
    "activity",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
    sa.Column("liaison_id", sa.Integer(), sa.ForeignKey("liaison.id"), nullable=True),
    sa.Column("message_id", sa.Integer(), sa.ForeignKey("inboundmessage.id"), nullable=True),
    sa.Column("date", sa.Date(), nullable=False),
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("location", sa.String(), nullable=True),
    sa.Column("materials", sa.Integer(), nullable=True),
    sa.Column("consultations", sa.Integer(), nullable=True),
    sa.Column("participants", sa.Integer(), nullable=True),
    sa.Column("enterprises", sa.Integer(), nullable=True),
    sa.Column("articles", sa.Integer(), nullable=True),
    sa.Column("approximate", sa.JSON(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.Index("ix_activity_date", "date"),
    sa.Index("ix_activity_status", "status"),
    sa.Index("ix_activity_unit_id", "unit_id"),
)
sa.Table(
    "auditlog",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("target", sa.String(), nullable=False),
    sa.Column("detail", sa.JSON(), nullable=False),
)
sa.Table(
    "ceremonyattendee",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("phone", sa.String(), nullable=False),
    sa.Column("registered_by", sa.String(), nullable=False),
    sa.Column("registered_at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("unit_id", "name"),
    sa.Index("ix_ceremonyattendee_unit_id", "unit_id"),
)
sa.Table(
    "ceremonycheckin",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
    sa.Column("channel", sa.String(), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("how", sa.String(), nullable=False),
    sa.Column("distance_m", sa.Float(), nullable=True),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("channel", "user_id"),
    sa.Index("ix_ceremonycheckin_unit_id", "unit_id"),
)
sa.Table(
    "dialogstate",
    BASELINE,
    sa.Column("channel", sa.String(), primary_key=True, nullable=False),
    sa.Column("user_id", sa.String(), primary_key=True, nullable=False),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("expires_at", sa.DateTime(), nullable=False),
)
sa.Table(
    "firedpush",
    BASELINE,
    sa.Column("key", sa.String(), primary_key=True, nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("fired_at", sa.DateTime(), nullable=False),
    sa.Column("recipients", sa.Integer(), nullable=False),
)
sa.Table(
    "inboundmessage",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("channel", sa.String(), nullable=False),
    sa.Column("dedupe_key", sa.String(), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("msg_type", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("received_at", sa.DateTime(), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("raw_xml", sa.Text(), nullable=False),
    sa.Column("reply", sa.Text(), nullable=True),
    sa.Column("handled_at", sa.DateTime(), nullable=True),
    sa.UniqueConstraint("dedupe_key"),
    sa.Index("ix_inboundmessage_user_id", "user_id"),
)
sa.Table(
    "job",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("run_after", sa.DateTime(), nullable=False),
    sa.Column("lease_until", sa.DateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("finished_at", sa.DateTime(), nullable=True),
    sa.Index("ix_job_kind", "kind"),
    sa.Index("ix_job_status", "status"),
)
sa.Table(
    "liaison",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("channel", sa.String(), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("phone", sa.String(), nullable=False),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("bound_at", sa.DateTime(), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(), nullable=True),
    sa.UniqueConstraint("channel", "user_id"),
    sa.Index("ix_liaison_unit_id", "unit_id"),
    sa.Index("ix_liaison_user_id", "user_id"),
)
sa.Table(
    "loginlink",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("token_hash", sa.String(), nullable=False),
    sa.Column("channel", sa.String(), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("expires_at", sa.DateTime(), nullable=False),
    sa.Column("used_at", sa.DateTime(), nullable=True),
    sa.UniqueConstraint("token_hash"),
)
sa.Table(
    "outboxmessage",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("channel", sa.String(), nullable=False),
    sa.Column("recipient", sa.String(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("extra", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
    sa.Column("not_after", sa.DateTime(), nullable=True),
    sa.Column("errcode", sa.Integer(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("sent_at", sa.DateTime(), nullable=True),
    sa.Column("finished_at", sa.DateTime(), nullable=True),
    sa.UniqueConstraint("key"),
    sa.Index("ix_outboxmessage_kind", "kind"),
    sa.Index("ix_outboxmessage_recipient", "recipient"),
    sa.Index("ix_outboxmessage_status", "status"),
)
sa.Table(
    "photo",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
    sa.Column("liaison_id", sa.Integer(), sa.ForeignKey("liaison.id"), nullable=True),
    sa.Column("message_id", sa.Integer(), sa.ForeignKey("inboundmessage.id"), nullable=True),
    sa.Column("activity_id", sa.Integer(), sa.ForeignKey("activity.id"), nullable=True),
    sa.Column("sha256", sa.String(), nullable=False),
    sa.Column("phash", sa.BigInteger(), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("taken_at", sa.DateTime(), nullable=True),
    sa.Column("outside_campaign", sa.Boolean(), nullable=False),
    sa.Column("original_path", sa.String(), nullable=False),
    sa.Column("web_path", sa.String(), nullable=False),
    sa.Column("thumb_path", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Index("ix_photo_activity_id", "activity_id"),
    sa.Index("ix_photo_sha256", "sha256"),
    sa.Index("ix_photo_status", "status"),
    sa.Index("ix_photo_unit_id", "unit_id"),
)
sa.Table(
    "summarysubmission",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Column("how", sa.String(), nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("unit_id"),
)
sa.Table(
    "unit",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Index("ix_unit_name", "name", unique=True),
)


def upgrade() -> None:
    bring_to(op, BASELINE)


def downgrade() -> None:
    BASELINE.drop_all(op.get_bind())
