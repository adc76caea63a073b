"""lesson_pair (the times of the day's pairs), lesson (a weekly schedule entry) and lesson_group."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel


class Parity(StrEnum):
    """Which ISO weeks a lesson is held in: every week, odd-numbered weeks or even-numbered ones."""

    ALL = "all"
    ODD = "odd"
    EVEN = "even"


class LessonPair(TenantModel):
    """One pair of the university's day (two academic hours); the service keeps pairs in order
    and apart (pair n ends before pair n+1 starts), so they never overlap."""

    __tablename__ = "lesson_pair"
    __table_args__ = (
        CheckConstraint("number BETWEEN 1 AND 8", name="number"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    number: Mapped[int] = mapped_column(SmallInteger, unique=True)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)


class Lesson(TenantModel):
    """A weekly lesson: a subject in one training type, taught by one teacher in one room to one
    or more groups (a lecture stream), on a weekday and pair, in the weeks of `parity`, from
    `valid_from` to `valid_to` (the semester's span)."""

    __tablename__ = "lesson"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 6", name="weekday"),
        CheckConstraint("pair BETWEEN 1 AND 8", name="pair"),
        CheckConstraint("parity IN ('all', 'odd', 'even')", name="parity"),
        CheckConstraint("valid_to >= valid_from", name="valid_range"),
        # The clash check reads the lessons of one weekday and pair.
        Index("ix_lesson_slot", "weekday", "pair"),
    )

    curriculum_subject_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_subject.id", ondelete="RESTRICT"), index=True
    )
    training_type: Mapped[str] = mapped_column(String(8))  # h_training_type
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="RESTRICT"), index=True)
    auditorium_id: Mapped[int] = mapped_column(ForeignKey("auditorium.id", ondelete="RESTRICT"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # ISO: 1 = Monday … 6 = Saturday
    pair: Mapped[int] = mapped_column(SmallInteger)  # lesson_pair.number
    parity: Mapped[str] = mapped_column(String(4), default=Parity.ALL)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    # Optimistic locking: an update names the version it changes; the loser gets a 409.
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Set by the service (version + 1 on every change, a change of groups alone too); SQLAlchemy
    # still adds "WHERE version = <old>" to the UPDATE.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class LessonGroup(TenantModel):
    """A group attending a lesson; several rows make a lecture stream."""

    __tablename__ = "lesson_group"
    __table_args__ = (UniqueConstraint("lesson_id", "group_id", name="uq_lesson_group"),)

    # The unique (lesson_id, group_id) index serves lookups by lesson too.
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("academic_group.id", ondelete="RESTRICT"), index=True)
