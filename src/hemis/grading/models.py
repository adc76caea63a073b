"""mark_sheet (one control of one subject for one group), mark, grade_event (hash-chained history)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantBase, TenantModel


class MarkSheet(TenantModel):
    """A rating sheet (qaydnoma): it locks `lock_after_days` after the day it was held."""

    __tablename__ = "mark_sheet"
    __table_args__ = (
        UniqueConstraint(
            "curriculum_subject_id", "group_id", "control_type", "attempt", name="uq_mark_sheet_control"
        ),
        CheckConstraint("control_type IN ('JN', 'ON', 'YN')", name="control_type"),
        CheckConstraint("attempt BETWEEN 1 AND 5", name="attempt"),
    )

    curriculum_subject_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_subject.id", ondelete="RESTRICT"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("academic_group.id", ondelete="RESTRICT"), index=True)
    control_type: Mapped[str] = mapped_column(String(2))
    attempt: Mapped[int] = mapped_column(SmallInteger, default=1)
    held_on: Mapped[date] = mapped_column(Date)
    lock_after_days: Mapped[int] = mapped_column(SmallInteger, default=2)


class Mark(TenantModel):
    __tablename__ = "mark"
    __table_args__ = (
        UniqueConstraint("sheet_id", "student_id", name="uq_mark_sheet_student"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )

    sheet_id: Mapped[int] = mapped_column(ForeignKey("mark_sheet.id", ondelete="RESTRICT"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    points: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # Optimistic locking: every UPDATE says which version it changes; the loser gets a 409.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class GradeEvent(TenantBase):
    """Written only by the trigger on mark, in the same transaction; tenant roles may only read it."""

    __tablename__ = "grade_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    mark_id: Mapped[int] = mapped_column(BigInteger, index=True)
    student_id: Mapped[int] = mapped_column(BigInteger, index=True)
    sheet_id: Mapped[int] = mapped_column(BigInteger)
    old_points: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    new_points: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    actor: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(500))
    request_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
