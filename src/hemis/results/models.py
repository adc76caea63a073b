"""Each studying student's results summed over their current and previous study year, kept for
the national roll-ups.

Resolving a whole university's marks (latest attempt per control, totals, grades, debts) takes
seconds for a large one, and the ministry's figures need every university's: done on every
recompute it cost 280 s for the country. So the sums are kept per student and only the students
whose data changed are resolved again: triggers on what the results read (marks, sheets,
absences, elective choices, students, groups, curricula, scales) list those students in
`student_performance_stale`, in the changing transaction; the roll-up worker resolves them
(ResultService.refresh_performance) before it adds the figures up. The rules stay in one
place: the same statement as ratings and payrolls (results.service._term_results).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Identity, Integer, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantBase


class StudentPerformance(TenantBase):
    """One studying student's results of the running and the previous study year, summed.

    A row only for a student with a mark or an absence in those years.
    No foreign key to `student`: it is derived data, and a student's deletion lists them as
    stale, which removes the row."""

    __tablename__ = "student_performance"

    student_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    graded: Mapped[int] = mapped_column(Integer)  # subjects whose final is marked
    points_100: Mapped[int] = mapped_column(Integer)  # of those, on a 100-point total
    points_sum: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # their points
    grade_5: Mapped[int] = mapped_column(Integer)
    grade_4: Mapped[int] = mapped_column(Integer)
    grade_3: Mapped[int] = mapped_column(Integer)
    grade_2: Mapped[int] = mapped_column(Integer)
    debts: Mapped[int] = mapped_column(Integer)  # graded below the pass mark, and barred ones
    barred: Mapped[int] = mapped_column(Integer)  # subjects without a final, barred by absences
    gpa: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))  # credit-weighted, of graded ones
    marks: Mapped[int] = mapped_column(Integer)  # every mark of those years' subjects, each attempt
    marks_on_time: Mapped[int] = mapped_column(Integer)  # of them, entered before the sheet locked
    # Hours missed (all, and excused) on the curriculum's lines of each semester of the running
    # study year: 2y + 9 (autumn) and 2y + 10 (spring) for h_course 10 + y.
    missed_autumn: Mapped[int] = mapped_column(Integer)
    excused_autumn: Mapped[int] = mapped_column(Integer)
    missed_spring: Mapped[int] = mapped_column(Integer)
    excused_spring: Mapped[int] = mapped_column(Integer)


class StudentPerformanceStale(TenantBase):
    """A student whose summed results must be resolved again (NULL: every student), written by
    a statement trigger in the changing transaction; the worker deletes the rows it took."""

    __tablename__ = "student_performance_stale"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    student_id: Mapped[int | None] = mapped_column(BigInteger)
