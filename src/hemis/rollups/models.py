"""The national roll-ups (schema national) and each university's outbox that feeds them.

Every figure table holds one university's rows under `tenant_code`, and sums, never averages:
a region's or the country's figure is a sum over its universities' rows, so the ministry's
numbers add up at every level. `tenant_role` names the university's database role; row-level
security lets that role read its own rows (its dashboard) and nothing of another university,
while the national tenant's role reads all and only the roll-up worker writes
(tenants.provision.ensure_platform creates the policies, since they name roles).

No foreign key points into a tenant schema (DESIGN.md, Citus constraint 2).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, Identity, Index, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import SharedBase, TenantBase
from tenants.naming import NATIONAL_SCHEMA

NATIONAL = {"schema": NATIONAL_SCHEMA}


class RollupOutbox(TenantBase):
    """A change to a table the roll-ups read, one row per statement, written by a statement
    trigger in the same transaction as the change (so no change can commit unnoticed). The
    worker recomputes the families fed by the tables named here, then deletes what it took."""

    __tablename__ = "rollup_outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(String(63))  # the changed table
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class _PerUniversity(SharedBase):
    __abstract__ = True

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(30), index=True)
    tenant_role: Mapped[str] = mapped_column(String(63))


class University(SharedBase):
    """A university as the ministry lists it (from its institution_profile)."""

    __tablename__ = "university"
    __table_args__ = (NATIONAL,)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(30), unique=True)
    tenant_role: Mapped[str] = mapped_column(String(63))
    name_uz: Mapped[str] = mapped_column(String(255))
    name_ru: Mapped[str] = mapped_column(String(255), default="")
    name_en: Mapped[str] = mapped_column(String(255), default="")
    short_name: Mapped[str] = mapped_column(String(32), default="")
    region_code: Mapped[str] = mapped_column(String(8), default="")  # h_soato region ('' unknown)


class Contingent(_PerUniversity):
    """Students by every dimension the ministry cuts by (one row per combination present)."""

    __tablename__ = "contingent"
    __table_args__ = (NATIONAL,)

    status: Mapped[str] = mapped_column(String(8))  # h_student_status
    education_type: Mapped[str] = mapped_column(String(8))
    education_form: Mapped[str] = mapped_column(String(8))
    payment_form: Mapped[str] = mapped_column(String(8))
    course: Mapped[str] = mapped_column(String(8))
    gender: Mapped[str] = mapped_column(String(8))
    region_code: Mapped[str] = mapped_column(String(8))  # the students' home region, '' unknown
    citizenship: Mapped[str] = mapped_column(String(8))
    students: Mapped[int] = mapped_column(Integer)


class Performance(_PerUniversity):
    """The running study year's graded subjects (final marked) of studying students."""

    __tablename__ = "performance"
    __table_args__ = (NATIONAL,)

    academic_year: Mapped[int] = mapped_column(Integer)
    education_type: Mapped[str] = mapped_column(String(8))
    education_form: Mapped[str] = mapped_column(String(8))
    course: Mapped[str] = mapped_column(String(8))
    students: Mapped[int] = mapped_column(Integer)  # studying students with a graded subject
    graded: Mapped[int] = mapped_column(Integer)  # student × subject results
    points_100: Mapped[int] = mapped_column(Integer)  # results on a 100-point total
    points_sum: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # of those results
    grade_5: Mapped[int] = mapped_column(Integer)
    grade_4: Mapped[int] = mapped_column(Integer)
    grade_3: Mapped[int] = mapped_column(Integer)
    grade_2: Mapped[int] = mapped_column(Integer)
    debts: Mapped[int] = mapped_column(Integer)  # results that are academic debts
    debtors: Mapped[int] = mapped_column(Integer)  # students with at least one
    gpa_sum: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # Σ of students' year GPA
    gpa_students: Mapped[int] = mapped_column(Integer)


class Attendance(_PerUniversity):
    """Classroom hours of the running year so far, planned and missed, of studying students."""

    __tablename__ = "attendance"
    __table_args__ = (NATIONAL,)

    academic_year: Mapped[int] = mapped_column(Integer)
    education_form: Mapped[str] = mapped_column(String(8))
    course: Mapped[str] = mapped_column(String(8))
    planned_hours: Mapped[int] = mapped_column(BigInteger)
    missed_hours: Mapped[int] = mapped_column(BigInteger)
    excused_hours: Mapped[int] = mapped_column(BigInteger)


class Finance(_PerUniversity):
    """Contracts of one academic year: billed, discounted, paid (and how), still owed. Tiyin."""

    __tablename__ = "finance"
    __table_args__ = (NATIONAL,)

    academic_year: Mapped[int] = mapped_column(Integer)
    contracts: Mapped[int] = mapped_column(Integer)
    billed: Mapped[int] = mapped_column(BigInteger)
    discounts: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger)
    paid_online: Mapped[int] = mapped_column(
        BigInteger
    )  # electronically (finance.models.ELECTRONIC_PROVIDERS)
    payments: Mapped[int] = mapped_column(Integer)
    payments_online: Mapped[int] = mapped_column(Integer)
    debt: Mapped[int] = mapped_column(BigInteger)
    debtors: Mapped[int] = mapped_column(Integer)


class Stipend(_PerUniversity):
    """Approved stipend payrolls by month (corrections included)."""

    __tablename__ = "stipend"
    __table_args__ = (NATIONAL,)

    month: Mapped[date] = mapped_column(Date)
    students: Mapped[int] = mapped_column(Integer)  # paid a stipend that month
    total: Mapped[int] = mapped_column(BigInteger)  # tiyin


class Staff(_PerUniversity):
    """Active employees by position, degree, rank, gender and employment form."""

    __tablename__ = "staff"
    __table_args__ = (NATIONAL,)

    position: Mapped[str] = mapped_column(String(32))
    academic_degree: Mapped[str] = mapped_column(String(8))
    academic_rank: Mapped[str] = mapped_column(String(8))
    gender: Mapped[str] = mapped_column(String(8))
    employment_form: Mapped[str] = mapped_column(String(32))
    employees: Mapped[int] = mapped_column(Integer)
    rate_sum: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    teachers: Mapped[int] = mapped_column(Integer)  # with a teaching assignment
    with_e_course: Mapped[int] = mapped_column(Integer)  # teachers with at least one e-course link


class Structure(_PerUniversity):
    """What a university is made of, counted: `kind` groups (active, by education type),
    specialities (by education type), departments (active, by h_structure_type) or
    auditoriums (active, by our auditorium type); HEMIS's public stat-structure."""

    __tablename__ = "structure"
    __table_args__ = (NATIONAL,)

    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer)


class Demography(_PerUniversity):
    """Studying students (`kind` 'student') by age band, accommodation, education type and
    gender, and active employees ('employee') by age band and gender; HEMIS's public stat-student
    and stat-employee `age` and `accommodation`. Ages are as of the day the row was computed."""

    __tablename__ = "demography"
    __table_args__ = (NATIONAL,)

    kind: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str] = mapped_column(String(8))  # "18-20", "31-" (hemis.rollups.figures.AGE_BANDS)
    accommodation: Mapped[str] = mapped_column(String(8))  # h_accommodation, '' not stated or employees
    education_type: Mapped[str] = mapped_column(String(8))  # '' for employees
    gender: Mapped[str] = mapped_column(String(8))
    count: Mapped[int] = mapped_column(Integer)


class Kpi(_PerUniversity):
    """Table 1 of the ministry's study (seeds/002): each indicator as numerator and denominator,
    one row per university per month. The current month's row follows every change; earlier
    months keep the value they closed with, which makes the trend. Rows with tenant_role ''
    are totals: tenant_code '*' the country, 'r:<soato>' a region (readable by every university)."""

    __tablename__ = "kpi"
    __table_args__ = (Index("uq_kpi_tenant_month", "tenant_code", "month", unique=True), NATIONAL)

    month: Mapped[date] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(String(8), default="")
    score_sum: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # average score = score_sum / scored
    scored: Mapped[int] = mapped_column(Integer)
    teachers_with_e_course: Mapped[int] = mapped_column(Integer)
    teachers: Mapped[int] = mapped_column(Integer)
    attended_hours: Mapped[int] = mapped_column(BigInteger)
    planned_hours: Mapped[int] = mapped_column(BigInteger)
    report_fields_filled: Mapped[int] = mapped_column(BigInteger)
    report_fields: Mapped[int] = mapped_column(BigInteger)
    paid_online: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger)
    marks_on_time: Mapped[int] = mapped_column(BigInteger)
    marks: Mapped[int] = mapped_column(BigInteger)
    students_with_access: Mapped[int] = mapped_column(Integer)
    students: Mapped[int] = mapped_column(Integer)


# The KPI row's numerators and denominators, in the order of table 1: a region's or the
# country's are their sums (the worker's totals, hemis.reporting's arithmetic).
KPI_SUMS = (
    "score_sum",
    "scored",
    "teachers_with_e_course",
    "teachers",
    "attended_hours",
    "planned_hours",
    "report_fields_filled",
    "report_fields",
    "paid_online",
    "paid",
    "marks_on_time",
    "marks",
    "students_with_access",
    "students",
)


class StudentRegistry(_PerUniversity):
    """One row per student record of every university, by PINFL: the ministry finds a person
    studying at two universities at once, or moving between them."""

    __tablename__ = "student_registry"
    __table_args__ = (Index("uq_student_registry_record", "tenant_code", "student_id", unique=True), NATIONAL)

    pinfl: Mapped[str] = mapped_column(String(14), index=True)
    student_id: Mapped[int] = mapped_column(BigInteger)  # the university's own id
    status: Mapped[str] = mapped_column(String(8))
    education_type: Mapped[str] = mapped_column(String(8))
    course: Mapped[str] = mapped_column(String(8))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the record's updated_at


class Freshness(SharedBase):
    """When each university's family of figures was last computed, and from changes up to when."""

    __tablename__ = "freshness"
    __table_args__ = (Index("uq_freshness_family", "tenant_code", "family", unique=True), NATIONAL)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(30))
    family: Mapped[str] = mapped_column(String(16))
    tenant_role: Mapped[str] = mapped_column(String(63))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The oldest change this computation took in (None: a full recompute with nothing pending).
    oldest_change_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    seconds: Mapped[Decimal] = mapped_column(Numeric(8, 3))  # how long the computation took
    # The university's data as of this moment (its snapshot): an older computation finishing
    # late never overwrites a newer one.
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
