"""guardian_link: a guardian's account linked to a student by the registrar's office."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel

RELATIONS = ("mother", "father", "guardian", "other")


class GuardianLink(TenantModel):
    """Read by hemis.identity.scope: a guardian reads the marks and attendance of linked students only."""

    __tablename__ = "guardian_link"
    __table_args__ = (
        UniqueConstraint("student_id", "user_id", name="uq_guardian_link_student_user"),
        CheckConstraint("relation IN ('mother', 'father', 'guardian', 'other')", name="relation"),
    )

    # (student_id, user_id) is unique, so that index serves a student's list and the scope check.
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(16))
