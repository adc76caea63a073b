"""structure departments buildings auditoriums

Revision ID: 0b49fa6e8936
Revises: 67c20fc02f17
Create Date: 2026-11-25 15:22:47.835145
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0b49fa6e8936"
down_revision: str | Sequence[str] | None = "67c20fc02f17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "building",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building")),
        sa.UniqueConstraint("name", name=op.f("uq_building_name")),
    )
    op.create_table(
        "department",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_ru", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("structure_type", sa.String(length=8), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["department.id"],
            name=op.f("fk_department_parent_id_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
    )
    op.create_index(op.f("ix_department_parent_id"), "department", ["parent_id"], unique=False)
    op.create_index(op.f("ix_department_structure_type"), "department", ["structure_type"], unique=False)
    op.create_table(
        "auditorium",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("auditorium_type", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_auditorium_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_auditorium_building_id_building"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditorium")),
        sa.UniqueConstraint("code", name=op.f("uq_auditorium_code")),
    )
    op.create_index(op.f("ix_auditorium_building_id"), "auditorium", ["building_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_auditorium_building_id"), table_name="auditorium")
    op.drop_table("auditorium")
    op.drop_index(op.f("ix_department_structure_type"), table_name="department")
    op.drop_index(op.f("ix_department_parent_id"), table_name="department")
    op.drop_table("department")
    op.drop_table("building")
