"""academic_group, student, student_status_change (insert-only history)."""

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
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantBase, TenantModel


class AcademicGroup(TenantModel):
    __tablename__ = "academic_group"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    education_type: Mapped[str] = mapped_column(String(8))  # h_education_type
    education_form: Mapped[str] = mapped_column(String(8))  # h_education_form
    education_lang: Mapped[str] = mapped_column(String(8))  # h_language
    course: Mapped[str] = mapped_column(String(8))  # h_course (11 = 1st year)
    admission_year: Mapped[int] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The curriculum the group studies by: its subjects are what the group's students take.
    curriculum_id: Mapped[int | None] = mapped_column(
        ForeignKey("curriculum.id", ondelete="RESTRICT"), index=True, default=None
    )
    # The group's tutor (curator): an employee who follows these students (role "tutor").
    tutor_id: Mapped[int | None] = mapped_column(
        ForeignKey("employee.id", ondelete="RESTRICT"), index=True, default=None
    )


class Student(TenantModel):
    __tablename__ = "student"
    __table_args__ = (CheckConstraint("pinfl ~ '^[0-9]{14}$'", name="pinfl_digits"),)

    student_id_number: Mapped[str] = mapped_column(String(20), unique=True)
    # Citizens have one (checked by the service); foreign and stateless students may not.
    pinfl: Mapped[str | None] = mapped_column(String(14), default=None)
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    patronymic: Mapped[str] = mapped_column(String(100), default="")
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(8))  # h_gender
    citizenship: Mapped[str] = mapped_column(String(8))  # h_citizenship_type
    passport: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    group_id: Mapped[int] = mapped_column(ForeignKey("academic_group.id", ondelete="RESTRICT"), index=True)
    payment_form: Mapped[str] = mapped_column(String(8))  # h_payment_form
    status: Mapped[str] = mapped_column(String(8), default="11", index=True)  # h_student_status
    # h_soato: where the student permanently lives; the ministry counts contingent by region.
    region_code: Mapped[str | None] = mapped_column(String(8), default=None)
    # h_accommodation: where the student lives while studying (a dormitory place, rented, ...).
    accommodation: Mapped[str | None] = mapped_column(String(8), default=None)


# One active record per person: a graduate may come back (e.g. for a master's) as a new student.
# Studying or on academic leave: the students a PINFL may name only once.
CURRENT_STATUSES = ("11", "13")
Index("uq_student_pinfl", Student.pinfl, unique=True, postgresql_where=Student.status.in_(CURRENT_STATUSES))


class StudentStatusChange(TenantBase):
    """Every status change of a student; tenant roles may only INSERT and SELECT."""

    __tablename__ = "student_status_change"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(8))
    new_status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(64), default="")
