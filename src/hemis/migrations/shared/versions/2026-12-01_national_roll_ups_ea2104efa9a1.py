"""National roll-ups: each university's figures, the KPI table by month, the national student
registry and freshness (issue 7); row-level security is set up by tenants.provision.ensure_platform

Revision ID: ea2104efa9a1
Revises: 093405a06f3e
Create Date: 2026-12-01 22:51:14.069092
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ea2104efa9a1"
down_revision: str | Sequence[str] | None = "093405a06f3e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("education_form", sa.String(length=8), nullable=False),
        sa.Column("course", sa.String(length=8), nullable=False),
        sa.Column("planned_hours", sa.BigInteger(), nullable=False),
        sa.Column("missed_hours", sa.BigInteger(), nullable=False),
        sa.Column("excused_hours", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_attendance_tenant_code"),
        "attendance",
        ["tenant_code"],
        unique=False,
        schema="national",
    )
    op.create_table(
        "contingent",
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("education_type", sa.String(length=8), nullable=False),
        sa.Column("education_form", sa.String(length=8), nullable=False),
        sa.Column("payment_form", sa.String(length=8), nullable=False),
        sa.Column("course", sa.String(length=8), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("citizenship", sa.String(length=8), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contingent")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_contingent_tenant_code"),
        "contingent",
        ["tenant_code"],
        unique=False,
        schema="national",
    )
    op.create_table(
        "finance",
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("billed", sa.BigInteger(), nullable=False),
        sa.Column("discounts", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("paid_online", sa.BigInteger(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("payments_online", sa.Integer(), nullable=False),
        sa.Column("debt", sa.BigInteger(), nullable=False),
        sa.Column("debtors", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_finance_tenant_code"), "finance", ["tenant_code"], unique=False, schema="national"
    )
    op.create_table(
        "freshness",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("family", sa.String(length=16), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("oldest_change_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Numeric(precision=8, scale=3), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freshness")),
        schema="national",
    )
    op.create_index(
        "uq_freshness_family", "freshness", ["tenant_code", "family"], unique=True, schema="national"
    )
    op.create_table(
        "kpi",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("score_sum", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("teachers_with_e_course", sa.Integer(), nullable=False),
        sa.Column("teachers", sa.Integer(), nullable=False),
        sa.Column("attended_hours", sa.BigInteger(), nullable=False),
        sa.Column("planned_hours", sa.BigInteger(), nullable=False),
        sa.Column("report_fields_filled", sa.BigInteger(), nullable=False),
        sa.Column("report_fields", sa.BigInteger(), nullable=False),
        sa.Column("paid_online", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("marks_on_time", sa.BigInteger(), nullable=False),
        sa.Column("marks", sa.BigInteger(), nullable=False),
        sa.Column("students_with_access", sa.Integer(), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_kpi_tenant_code"), "kpi", ["tenant_code"], unique=False, schema="national"
    )
    op.create_index("uq_kpi_tenant_month", "kpi", ["tenant_code", "month"], unique=True, schema="national")
    op.create_table(
        "performance",
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("education_type", sa.String(length=8), nullable=False),
        sa.Column("education_form", sa.String(length=8), nullable=False),
        sa.Column("course", sa.String(length=8), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("graded", sa.Integer(), nullable=False),
        sa.Column("points_100", sa.Integer(), nullable=False),
        sa.Column("points_sum", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("grade_5", sa.Integer(), nullable=False),
        sa.Column("grade_4", sa.Integer(), nullable=False),
        sa.Column("grade_3", sa.Integer(), nullable=False),
        sa.Column("grade_2", sa.Integer(), nullable=False),
        sa.Column("debts", sa.Integer(), nullable=False),
        sa.Column("debtors", sa.Integer(), nullable=False),
        sa.Column("gpa_sum", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("gpa_students", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_performance_tenant_code"),
        "performance",
        ["tenant_code"],
        unique=False,
        schema="national",
    )
    op.create_table(
        "staff",
        sa.Column("position", sa.String(length=32), nullable=False),
        sa.Column("academic_degree", sa.String(length=8), nullable=False),
        sa.Column("academic_rank", sa.String(length=8), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("employment_form", sa.String(length=32), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("rate_sum", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("teachers", sa.Integer(), nullable=False),
        sa.Column("with_e_course", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_staff_tenant_code"), "staff", ["tenant_code"], unique=False, schema="national"
    )
    op.create_table(
        "stipend",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stipend")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_stipend_tenant_code"), "stipend", ["tenant_code"], unique=False, schema="national"
    )
    op.create_table(
        "student_registry",
        sa.Column("pinfl", sa.String(length=14), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("education_type", sa.String(length=8), nullable=False),
        sa.Column("course", sa.String(length=8), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_registry")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_student_registry_pinfl"),
        "student_registry",
        ["pinfl"],
        unique=False,
        schema="national",
    )
    op.create_index(
        op.f("ix_national_student_registry_tenant_code"),
        "student_registry",
        ["tenant_code"],
        unique=False,
        schema="national",
    )
    op.create_index(
        "uq_student_registry_record",
        "student_registry",
        ["tenant_code", "student_id"],
        unique=True,
        schema="national",
    )
    op.create_table(
        "university",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.Column("name_uz", sa.String(length=255), nullable=False),
        sa.Column("name_ru", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("short_name", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_university")),
        sa.UniqueConstraint("tenant_code", name=op.f("uq_university_tenant_code")),
        schema="national",
    )


def downgrade() -> None:
    op.drop_table("university", schema="national")
    op.drop_index("uq_student_registry_record", table_name="student_registry", schema="national")
    op.drop_index(
        op.f("ix_national_student_registry_tenant_code"), table_name="student_registry", schema="national"
    )
    op.drop_index(
        op.f("ix_national_student_registry_pinfl"), table_name="student_registry", schema="national"
    )
    op.drop_table("student_registry", schema="national")
    op.drop_index(op.f("ix_national_stipend_tenant_code"), table_name="stipend", schema="national")
    op.drop_table("stipend", schema="national")
    op.drop_index(op.f("ix_national_staff_tenant_code"), table_name="staff", schema="national")
    op.drop_table("staff", schema="national")
    op.drop_index(op.f("ix_national_performance_tenant_code"), table_name="performance", schema="national")
    op.drop_table("performance", schema="national")
    op.drop_index("uq_kpi_tenant_month", table_name="kpi", schema="national")
    op.drop_index(op.f("ix_national_kpi_tenant_code"), table_name="kpi", schema="national")
    op.drop_table("kpi", schema="national")
    op.drop_index("uq_freshness_family", table_name="freshness", schema="national")
    op.drop_table("freshness", schema="national")
    op.drop_index(op.f("ix_national_finance_tenant_code"), table_name="finance", schema="national")
    op.drop_table("finance", schema="national")
    op.drop_index(op.f("ix_national_contingent_tenant_code"), table_name="contingent", schema="national")
    op.drop_table("contingent", schema="national")
    op.drop_index(op.f("ix_national_attendance_tenant_code"), table_name="attendance", schema="national")
    op.drop_table("attendance", schema="national")
