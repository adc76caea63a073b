"""grading scales, curriculum scale, group curriculum

Revision ID: 7994fc364634
Revises: 51b3fb73b1c4
Create Date: 2026-11-25 16:46:31.294452
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7994fc364634"
down_revision: str | Sequence[str] | None = "51b3fb73b1c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grading_scale",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("marking_system", sa.String(length=8), nullable=False),
        sa.Column("max_points", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("min_excellent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("min_good", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("min_satisfactory", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("pass_points", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("final_attempts", sa.SmallInteger(), nullable=False),
        sa.Column("gpa_limit", sa.Numeric(precision=2, scale=1), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "0 < min_satisfactory AND min_satisfactory < min_good AND min_good < min_excellent AND min_excellent <= max_points",
            name=op.f("ck_grading_scale_borders"),
        ),
        sa.CheckConstraint("final_attempts BETWEEN 1 AND 5", name=op.f("ck_grading_scale_final_attempts")),
        sa.CheckConstraint(
            "pass_points > 0 AND pass_points <= max_points", name=op.f("ck_grading_scale_pass_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_scale")),
        sa.UniqueConstraint("code", name=op.f("uq_grading_scale_code")),
    )
    op.create_index(
        "uq_grading_scale_default",
        "grading_scale",
        ["marking_system"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.add_column("academic_group", sa.Column("curriculum_id", sa.BigInteger(), nullable=True))
    op.create_index(
        op.f("ix_academic_group_curriculum_id"), "academic_group", ["curriculum_id"], unique=False
    )
    op.create_foreign_key(
        op.f("fk_academic_group_curriculum_id_curriculum"),
        "academic_group",
        "curriculum",
        ["curriculum_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.add_column("curriculum", sa.Column("grading_scale_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_curriculum_grading_scale_id"), "curriculum", ["grading_scale_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_curriculum_grading_scale_id_grading_scale"),
        "curriculum",
        "grading_scale",
        ["grading_scale_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_curriculum_grading_scale_id_grading_scale"), "curriculum", type_="foreignkey")
    op.drop_index(op.f("ix_curriculum_grading_scale_id"), table_name="curriculum")
    op.drop_column("curriculum", "grading_scale_id")
    op.drop_constraint(
        op.f("fk_academic_group_curriculum_id_curriculum"), "academic_group", type_="foreignkey"
    )
    op.drop_index(op.f("ix_academic_group_curriculum_id"), table_name="academic_group")
    op.drop_column("academic_group", "curriculum_id")
    op.drop_index(
        "uq_grading_scale_default", table_name="grading_scale", postgresql_where=sa.text("is_default")
    )
    op.drop_table("grading_scale")
