"""Notifications of students (a mark's written by trigger in the mark's transaction), their browsers'
web push subscriptions, and guardians linked to students (issue 8)

Revision ID: 13cafd51560e
Revises: d37adabd5956
Create Date: 2026-12-07 17:04:26.584823
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from hemis.notifications import triggers
from tenants.ddl import update_only_columns

revision: str = "13cafd51560e"
down_revision: str | Sequence[str] | None = "d37adabd5956"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message_key", sa.String(length=100), nullable=False),
        sa.Column(
            "params", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('mark', 'schedule')", name=op.f("ck_notification_kind")),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_notification_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index("ix_notification_student_id_id", "notification", ["student_id", "id"], unique=False)
    op.create_index(
        "ix_notification_unpushed",
        "notification",
        ["id"],
        unique=False,
        postgresql_where=sa.text("pushed_at IS NULL"),
    )
    op.create_index(
        "ix_notification_unread",
        "notification",
        ["student_id"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "push_subscription",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=128), nullable=False),
        sa.Column("auth", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_push_subscription_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscription")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscription_endpoint")),
    )
    op.create_index(
        op.f("ix_push_subscription_student_id"), "push_subscription", ["student_id"], unique=False
    )
    op.create_table(
        "guardian_link",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "relation IN ('mother', 'father', 'guardian', 'other')", name=op.f("ck_guardian_link_relation")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_guardian_link_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_guardian_link_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_link")),
        sa.UniqueConstraint("student_id", "user_id", name="uq_guardian_link_student_user"),
    )
    op.create_index(op.f("ix_guardian_link_user_id"), "guardian_link", ["user_id"], unique=False)

    op.execute(triggers.INSERTED_FUNCTION)
    op.execute(triggers.CHANGED_FUNCTION)
    for trigger in triggers.TRIGGERS:
        op.execute(trigger)
    # What a student was told stays as written: the app only marks rows read or pushed.
    op.execute(update_only_columns("notification", ("read_at", "pushed_at")))


def downgrade() -> None:
    for statement in triggers.DROP:
        op.execute(statement)
    op.drop_index(op.f("ix_guardian_link_user_id"), table_name="guardian_link")
    op.drop_table("guardian_link")
    op.drop_index(op.f("ix_push_subscription_student_id"), table_name="push_subscription")
    op.drop_table("push_subscription")
    op.drop_index(
        "ix_notification_unread", table_name="notification", postgresql_where=sa.text("read_at IS NULL")
    )
    op.drop_index(
        "ix_notification_unpushed", table_name="notification", postgresql_where=sa.text("pushed_at IS NULL")
    )
    op.drop_index("ix_notification_student_id_id", table_name="notification")
    op.drop_table("notification")
