"""absence: hours a student missed of one lesson of a curriculum subject."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel


class Absence(TenantModel):
    __tablename__ = "absence"
    __table_args__ = (
        UniqueConstraint(
            "student_id", "curriculum_subject_id", "lesson_date", "lesson_pair", name="uq_absence_lesson"
        ),
        CheckConstraint("hours BETWEEN 1 AND 8", name="hours"),
        CheckConstraint("lesson_pair BETWEEN 1 AND 8", name="lesson_pair"),
    )

    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    curriculum_subject_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_subject.id", ondelete="RESTRICT"), index=True
    )
    lesson_date: Mapped[date] = mapped_column(Date)
    lesson_pair: Mapped[int] = mapped_column(SmallInteger)  # 1st…8th pair of the day
    training_type: Mapped[str] = mapped_column(String(8))  # h_training_type
    hours: Mapped[int] = mapped_column(SmallInteger, default=2)  # a pair is two academic hours
    # Set by the dean's office with the document that excuses it (sick note, order …).
    excuse_document: Mapped[str | None] = mapped_column(String(255), default=None)
    excused_by: Mapped[str | None] = mapped_column(String(255), default=None)
