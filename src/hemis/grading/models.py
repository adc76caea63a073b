"""grading_scale (a university's own scales), mark_sheet (one control of one subject for one group), mark, grade_event (hash-chained history)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    text,  # noqa: TID251 - a partial index predicate, no user input
)
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantBase, TenantModel


class GradingScaleConfig(TenantModel):
    """A university's grading scale: HEMIS's three built-in scales apply until one is configured.

    A curriculum names its scale; without one it follows the university's default scale of its
    marking system, and without that the built-in HEMIS scale (hemis.grading.rules.DEFAULT_SCALES).
    """

    __tablename__ = "grading_scale"
    __table_args__ = (
        CheckConstraint(
            "0 < min_satisfactory AND min_satisfactory < min_good AND min_good < min_excellent "
            "AND min_excellent <= max_points",
            name="borders",
        ),
        CheckConstraint("pass_points > 0 AND pass_points <= max_points", name="pass_points"),
        CheckConstraint("final_attempts BETWEEN 1 AND 5", name="final_attempts"),
        Index(
            "uq_grading_scale_default",
            "marking_system",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    marking_system: Mapped[str] = mapped_column(String(8))  # h_marking_system
    max_points: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # The least points of grades 5, 4 and 3; below min_satisfactory is 2.
    min_excellent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    min_good: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    min_satisfactory: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    pass_points: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # below it the course is a debt
    final_attempts: Mapped[int] = mapped_column(SmallInteger)  # sittings of the final, retakes included
    gpa_limit: Mapped[Decimal | None] = mapped_column(Numeric(2, 1), default=None)  # to move on (credit)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


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


class MarkChangeRequest(TenantModel):
    """A change to a mark on a locked sheet: asked with a reason by one person, decided by another."""

    __tablename__ = "mark_change_request"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        # One open request per mark: a second would race the first for the same version.
        Index(
            "uq_mark_change_request_pending",
            "mark_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    mark_id: Mapped[int] = mapped_column(ForeignKey("mark.id", ondelete="RESTRICT"), index=True)
    points: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    version: Mapped[int] = mapped_column(Integer)  # the mark's version the requester saw
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(255), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    decision_note: Mapped[str] = mapped_column(String(500), default="")


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
