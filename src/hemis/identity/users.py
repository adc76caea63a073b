"""Accounts of a university, kept by its admin: roles with the links that scope them, a
temporary password, disabling (which ends every session), and ending sessions on demand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from hemis.core.auth import MINISTRY_ROLES, Role
from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import HemisError
from hemis.core.listing import ListParams, fetch_page
from hemis.identity import totp
from hemis.identity.models import UserAccount
from hemis.identity.passwords import hash_password
from hemis.identity.service import SECOND_FACTOR_ROLES, AuthService
from hemis.staff.models import Employee
from hemis.structure.models import Department, StructureType
from hemis.students.models import Student
from tenants.context import TenantKind, current_tenant_or_none
from tenants.session import TENANT_KEY

# Which link each role needs, so its scope is known: a student's records, a teacher's
# assignments, a dean's faculty.
ROLE_LINKS = {
    Role.STUDENT: "student_id",
    Role.TEACHER: "employee_id",
    Role.TUTOR: "employee_id",
    Role.DEAN: "faculty_id",
}


class LinkRequired(HemisError):
    status_code = 422
    message_key = "identity.link_required"


class RoleNotHere(HemisError):
    status_code = 422
    message_key = "identity.role_not_here"


# The ministry's tenant keeps the ministry's people (MINISTRY_ROLES). A university has no
# analysts: the national figures are read on the ministry's host.
UNIVERSITY_ROLES = frozenset(Role) - {Role.ANALYST}


class UserService(CrudService[UserAccount]):
    model = UserAccount
    personal = frozenset(
        {"password_hash", "totp_secret", "totp_pending"}
    )  # never in the audit trail in clear

    async def check(
        self, values: dict[str, Any], current: UserAccount | None, changed: frozenset[str]
    ) -> None:
        if "roles" in changed:
            tenant = self.session.info.get(TENANT_KEY) or current_tenant_or_none()
            national = tenant is not None and tenant.kind == TenantKind.NATIONAL
            allowed = MINISTRY_ROLES if national else UNIVERSITY_ROLES
            for role in values["roles"]:
                if role not in allowed:
                    raise RoleNotHere(field="roles", role=str(role))
        for role, link in ROLE_LINKS.items():
            if role in values["roles"] and values.get(link) is None:
                raise LinkRequired(field=link, role=role.value)
        for link, model in (("student_id", Student), ("employee_id", Employee)):
            sent = values.get(link) if link in changed else None
            if sent is not None and not await self.exists(model, sent):
                raise BadReference(field=link)
        if values.get("faculty_id") is not None and "faculty_id" in changed:
            faculty = await self.session.get(Department, values["faculty_id"])
            if faculty is None or faculty.structure_type != StructureType.FACULTY:
                raise BadReference(field="faculty_id")

    async def open_account(self, values: dict[str, Any]) -> tuple[UserAccount, str | None]:
        """Create an account; returns the TOTP secret to show once when its roles need one."""
        password = values.pop("password", None)
        secret = totp.new_secret() if set(values["roles"]) & SECOND_FACTOR_ROLES else None
        user = await self.create(
            {
                **values,
                "username": values["username"].lower(),
                "roles": [str(r) for r in values["roles"]],
                "password_hash": hash_password(password) if password else None,
                "must_change_password": password is not None,
                "totp_secret": secret,
            }
        )
        return user, secret

    async def change(self, user_id: int, changes: dict[str, Any]) -> tuple[UserAccount, str | None]:
        """Apply an admin's changes; returns the TOTP secret to show once when the new roles need
        a second factor the account does not have yet."""
        secret = None
        if "roles" in changes:
            changes["roles"] = [str(r) for r in changes["roles"]]
            current = await self.get(user_id)
            if set(changes["roles"]) & SECOND_FACTOR_ROLES and current.totp_secret is None:
                secret = changes["totp_secret"] = totp.new_secret()
        user = await self.update(user_id, changes)
        if changes.get("active") is False or "roles" in changes:
            # Disabled, or rights changed: no session keeps what it had.
            await AuthService(self.session).end_sessions(
                user_id, "disabled" if not user.active else "roles", _now()
            )
        return user, secret

    async def reset_password(self, user_id: int, password: str) -> UserAccount:
        user = await self.update(
            user_id, {"password_hash": hash_password(password), "must_change_password": True}
        )
        await AuthService(self.session).end_sessions(user_id, "password_reset", _now())
        return user

    async def end_sessions(self, user_id: int) -> int:
        await self.get(user_id)
        return await AuthService(self.session).end_sessions(user_id, "ended_by_admin", _now())

    async def page(self, params: ListParams) -> tuple[list[UserAccount], int]:
        return await fetch_page(
            self.session,
            select(UserAccount),
            params,
            sortable={"username": UserAccount.username, "display_name": UserAccount.display_name},
            default_sort="username",
            searchable=[UserAccount.username, UserAccount.display_name],
        )


def _now() -> datetime:
    return datetime.now(UTC)
