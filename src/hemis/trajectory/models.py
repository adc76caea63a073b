"""elective_choice: one elective subject of the curriculum a student chose."""

from __future__ import annotations

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel


class ElectiveChoice(TenantModel):
    __tablename__ = "elective_choice"
    __table_args__ = (UniqueConstraint("student_id", "curriculum_subject_id", name="uq_elective_choice"),)

    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    curriculum_subject_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_subject.id", ondelete="RESTRICT"), index=True
    )
