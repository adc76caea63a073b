"""specialty, subject, curriculum, curriculum_subject, curriculum_week."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel


class Specialty(TenantModel):
    __tablename__ = "specialty"

    code: Mapped[str] = mapped_column(String(20), unique=True)  # national classifier code, e.g. 60610500
    name: Mapped[str] = mapped_column(String(255))
    education_type: Mapped[str] = mapped_column(String(8))  # h_education_type


class Subject(TenantModel):
    __tablename__ = "subject"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), index=True
    )


class Curriculum(TenantModel):
    __tablename__ = "curriculum"

    name: Mapped[str] = mapped_column(String(255))
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    education_form: Mapped[str] = mapped_column(String(8))  # h_education_form
    marking_system: Mapped[str] = mapped_column(String(8))  # h_marking_system
    # Its own grading scale; None follows the university's default (hemis.grading.scales.scale_for).
    grading_scale_id: Mapped[int | None] = mapped_column(
        ForeignKey("grading_scale.id", ondelete="RESTRICT"), index=True, default=None
    )
    admission_year: Mapped[int] = mapped_column(SmallInteger)
    semester_count: Mapped[int] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CurriculumSubject(TenantModel):
    __tablename__ = "curriculum_subject"
    __table_args__ = (
        UniqueConstraint("curriculum_id", "subject_id", "semester"),
        CheckConstraint("credit > 0", name="credit_positive"),
        CheckConstraint(
            "lecture_hours >= 0 AND practice_hours >= 0 AND laboratory_hours >= 0 AND seminar_hours >= 0 "
            "AND independent_hours >= 0",
            name="hours_not_negative",
        ),
    )

    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curriculum.id", ondelete="RESTRICT"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"), index=True)
    semester: Mapped[str] = mapped_column(String(8))  # h_semester (11 = 1st)
    subject_type: Mapped[str] = mapped_column(String(8))  # h_subject_type: mandatory / elective
    subject_block: Mapped[str] = mapped_column(String(8))  # h_subject_block
    credit: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    lecture_hours: Mapped[int] = mapped_column(SmallInteger, default=0)
    practice_hours: Mapped[int] = mapped_column(SmallInteger, default=0)
    laboratory_hours: Mapped[int] = mapped_column(SmallInteger, default=0)
    seminar_hours: Mapped[int] = mapped_column(SmallInteger, default=0)
    independent_hours: Mapped[int] = mapped_column(SmallInteger, default=0)

    @hybrid_property
    def classroom_hours(self) -> int:
        """Hours with a teacher (not independent study): what attendance shares are of. Works on a
        row and in SQL alike."""
        return self.lecture_hours + self.practice_hours + self.laboratory_hours + self.seminar_hours

    # Maximum points of each control (JN current, ON midterm, YN final); they add up to the scale's maximum.
    max_current: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    max_midterm: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    max_final: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class CurriculumWeek(TenantModel):
    """One week of a curriculum's calendar: which semester week it is and what happens in it
    (h_education_week_type: theory, exam session, internship, attestation, defence, vacation)."""

    __tablename__ = "curriculum_week"
    __table_args__ = (
        UniqueConstraint("curriculum_id", "semester", "number", name="uq_curriculum_week_number"),
        UniqueConstraint("curriculum_id", "start_date", name="uq_curriculum_week_start"),
        CheckConstraint("number BETWEEN 1 AND 30", name="number"),
        CheckConstraint("extract(isodow FROM start_date) = 1", name="starts_on_monday"),
    )

    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curriculum.id", ondelete="RESTRICT"), index=True)
    semester: Mapped[str] = mapped_column(String(8))  # h_semester
    number: Mapped[int] = mapped_column(SmallInteger)  # week of the semester, from 1
    start_date: Mapped[date] = mapped_column(Date)  # a Monday; the week ends on Sunday
    week_type: Mapped[str] = mapped_column(String(8))  # h_education_week_type
