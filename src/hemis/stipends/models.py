"""ref.stipend_rate (national, dated), and per university: stipend_rule, stipend_assignment,
stipend_run and its stipend_line rows (an approved run and its lines are frozen by trigger)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,  # noqa: TID251 - a partial index predicate, no user input
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import SharedModel, TenantBase, TenantModel
from tenants.naming import REF_SCHEMA


class StipendRate(SharedModel):
    """A national stipend type's monthly amount from a date on: fixed (tiyin) or a percentage of the
    base in force. Names are the h_stipend_rate classifier's; only releases write this table."""

    __tablename__ = "stipend_rate"
    __table_args__ = (
        UniqueConstraint("code", "valid_from"),
        CheckConstraint("(amount_tiyin IS NULL) <> (base_percent IS NULL)", name="amount_or_percent"),
        CheckConstraint("amount_tiyin > 0 AND base_percent > 0", name="positive"),
        {"schema": REF_SCHEMA},
    )

    code: Mapped[str] = mapped_column(String(8))  # h_stipend_rate
    valid_from: Mapped[date] = mapped_column(Date)
    amount_tiyin: Mapped[int | None] = mapped_column(BigInteger)
    base_percent: Mapped[int | None] = mapped_column(SmallInteger)
    basis: Mapped[str] = mapped_column(String(255), default="")  # the act that set it


class StipendRule(TenantModel):
    """A university's rule for one type; a type without a row follows rules.DEFAULT_RULES."""

    __tablename__ = "stipend_rule"
    __table_args__ = (CheckConstraint("min_grade BETWEEN 3 AND 5", name="min_grade"),)

    rate_code: Mapped[str] = mapped_column(String(8), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    by_assignment: Mapped[bool] = mapped_column(Boolean)
    state_grant_only: Mapped[bool] = mapped_column(Boolean)
    min_grade: Mapped[int | None] = mapped_column(SmallInteger)
    first_semester: Mapped[bool] = mapped_column(Boolean)


class StipendAssignment(TenantModel):
    """A type given to one student for a period (privileged category, presidential award by order)."""

    __tablename__ = "stipend_assignment"
    __table_args__ = (CheckConstraint("valid_to >= valid_from", name="period"),)

    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    rate_code: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    reason: Mapped[str] = mapped_column(String(500))
    order_number: Mapped[str] = mapped_column(String(50), default="")


class StipendRun(TenantModel):
    """One month's payroll: a draft (prepared, recomputed on each preparation) until a second
    person approves it; approved runs never change. The month's regular run (sequence 0) comes
    first; once it is approved the month is closed to it, and later changes (a retake passed, an
    assignment backdated) are paid or recovered by correction runs (sequence 1, 2 …), each the
    difference against what the month's approved runs already gave. One draft a month at a time."""

    __tablename__ = "stipend_run"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'approved')", name="status"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="first_of_month"),
        CheckConstraint("kind IN ('regular', 'correction')", name="kind"),
        CheckConstraint("(kind = 'regular') = (sequence = 0)", name="sequence_of_kind"),
        UniqueConstraint("month", "sequence", name="uq_stipend_run_month_sequence"),
        Index("uq_stipend_run_draft_month", "month", unique=True, postgresql_where=text("status = 'draft'")),
    )

    month: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12), default="regular")
    sequence: Mapped[int] = mapped_column(SmallInteger, default=0)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    prepared_by: Mapped[str] = mapped_column(String(255))
    prepared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(255), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    students: Mapped[int] = mapped_column(Integer, default=0)  # lines
    paid: Mapped[int] = mapped_column(Integer, default=0)  # lines paying something (a correction: > 0)
    total_tiyin: Mapped[int] = mapped_column(BigInteger, default=0)  # a correction: net of recoveries


class StipendLine(TenantBase):
    """A student's line of a run: the stipend and its amount, or nothing and the reasons why; with
    the session it was decided by, so the decision can be explained after marks change. A
    correction run has lines only for students whose decision changed."""

    __tablename__ = "stipend_line"
    __table_args__ = (UniqueConstraint("run_id", "student_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("stipend_run.id", ondelete="RESTRICT"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("academic_group.id", ondelete="RESTRICT"))
    semester: Mapped[str | None] = mapped_column(String(8))  # the session decided by
    lowest_grade: Mapped[int | None] = mapped_column(SmallInteger)
    debts: Mapped[int | None] = mapped_column(SmallInteger)
    rate_code: Mapped[str | None] = mapped_column(String(8))
    # What this run pays the student: a regular run the month's stipend; a correction run the
    # difference against `previous_tiyin` (< 0: to recover).
    amount_tiyin: Mapped[int] = mapped_column(BigInteger)
    reasons: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    previous_tiyin: Mapped[int] = mapped_column(BigInteger, default=0)  # the month's approved runs before
