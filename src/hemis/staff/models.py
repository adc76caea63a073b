"""employee and teaching_assignment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel


class Position(StrEnum):
    """h_teacher_position_type as HEMIS names them (stajer … professor), plus heads of units."""

    TRAINEE = "trainee"  # stajer-o'qituvchi
    ASSISTANT = "assistant"
    SENIOR_TEACHER = "senior_teacher"  # katta o'qituvchi
    DOCENT = "docent"
    PROFESSOR = "professor"
    HEAD_OF_DEPARTMENT = "head_of_department"  # kafedra mudiri
    DEAN = "dean"
    STAFF = "staff"  # administrative employee


class EmploymentForm(StrEnum):
    MAIN = "main"  # asosiy
    INTERNAL_PART_TIME = "internal_part_time"  # ichki o'rindosh
    EXTERNAL_PART_TIME = "external_part_time"  # tashqi o'rindosh
    HOURLY = "hourly"  # soatbay


RATES = (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal("1.0"))  # h_employment_staff


class Employee(TenantModel):
    __tablename__ = "employee"
    __table_args__ = (CheckConstraint("rate IN (0.25, 0.5, 0.75, 1.0)", name="rate"),)

    employee_id_number: Mapped[str] = mapped_column(String(20), unique=True)
    pinfl: Mapped[str | None] = mapped_column(String(14), default=None, unique=True)
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    patronymic: Mapped[str] = mapped_column(String(100), default="")
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(8))  # h_gender
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    position: Mapped[str] = mapped_column(String(32))
    employment_form: Mapped[str] = mapped_column(String(32))
    rate: Mapped[Decimal] = mapped_column(Numeric(3, 2))
    academic_degree: Mapped[str] = mapped_column(String(8), default="10")  # h_academic_degree
    academic_rank: Mapped[str] = mapped_column(String(8), default="10")  # h_academic_rank
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TeachingAssignment(TenantModel):
    """Who teaches which curriculum subject, in which training type, to which group."""

    __tablename__ = "teaching_assignment"
    __table_args__ = (
        UniqueConstraint(
            "curriculum_subject_id", "group_id", "training_type", "employee_id", name="uq_teaching_assignment"
        ),
    )

    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="RESTRICT"), index=True)
    curriculum_subject_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_subject.id", ondelete="RESTRICT"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("academic_group.id", ondelete="RESTRICT"), index=True)
    training_type: Mapped[str] = mapped_column(String(8))  # h_training_type: lecture, laboratory, practice …
    # The teacher's e-course for this subject (LMS, Moodle, Module): the ministry's KPI of
    # teachers with e-courses counts teachers with at least one.
    e_course_url: Mapped[str | None] = mapped_column(String(500), default=None)
