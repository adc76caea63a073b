"""Linking guardians' accounts to students (the registrar's office), audited like every write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hemis.core.auth import Role
from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import HemisError, NotFound
from hemis.guardians.models import GuardianLink
from hemis.identity.models import UserAccount
from hemis.students.models import Student


class NotGuardian(HemisError):
    status_code = 422
    message_key = "guardians.not_guardian"


class GuardianService(CrudService[GuardianLink]):
    model = GuardianLink

    async def check(
        self, values: dict[str, Any], current: GuardianLink | None, changed: frozenset[str]
    ) -> None:
        account = await self.session.get(UserAccount, values["user_id"])
        if account is None:
            raise BadReference(field="user_id")
        # The link gives rights only to a guardian's account (hemis.identity.scope); linking a
        # student's or a teacher's account would mean nothing, so it is refused, not stored.
        if Role.GUARDIAN.value not in account.roles:
            raise NotGuardian(field="user_id")

    async def links(self, student_id: int) -> list[tuple[GuardianLink, UserAccount]]:
        """A student's guardians with their accounts, oldest link first."""
        await self._student(student_id)
        rows = await self.session.execute(
            select(GuardianLink, UserAccount)
            .join(UserAccount, UserAccount.id == GuardianLink.user_id)
            .where(GuardianLink.student_id == student_id)
            .order_by(GuardianLink.id)
        )
        return [(link, account) for link, account in rows]

    async def link(self, student_id: int, values: dict[str, Any]) -> tuple[GuardianLink, UserAccount]:
        await self._student(student_id)
        link = await self.create({**values, "student_id": student_id})
        account = await self.session.get(UserAccount, link.user_id)
        assert account is not None  # checked above, and the foreign key holds it
        return link, account

    async def unlink(self, student_id: int, link_id: int) -> None:
        link = await self.session.get(GuardianLink, link_id)
        if link is None or link.student_id != student_id:  # another student's link is not found here
            raise NotFound(field="link_id")
        await self.delete(link_id)

    async def _student(self, student_id: int) -> None:
        if not await self.exists(Student, student_id):
            raise NotFound(field="student_id")
