"""/api/v1/students/{id}/guardians: the guardians (parents) a registrar links to a student."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from hemis.core.auth import Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import PathId
from hemis.guardians.models import GuardianLink
from hemis.guardians.schemas import GuardianLinkCreate, GuardianLinkRead
from hemis.guardians.service import GuardianService
from hemis.identity.models import UserAccount

REGISTRY = requires_role(Role.ADMIN, Role.REGISTRAR)


def link_view(link: GuardianLink, account: UserAccount) -> GuardianLinkRead:
    return GuardianLinkRead(
        id=link.id,
        student_id=link.student_id,
        user_id=link.user_id,
        relation=link.relation,
        username=account.username,
        display_name=account.display_name,
        created_at=link.created_at,
    )


class GuardianController(Controller):
    path = "/api/v1/students/{student_id:int}/guardians"
    tags = ["Students"]
    guards = [REGISTRY]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {"principal": Provide(provide_principal), "guardians": provide_service(GuardianService)}

    @get(operation_id="ListGuardians")
    async def list_guardians(
        self, guardians: NamedDependency[GuardianService], student_id: PathId
    ) -> list[GuardianLinkRead]:
        """The guardians linked to a student."""
        return [link_view(*row) for row in await guardians.links(student_id)]

    @post(operation_id="LinkGuardian")
    async def link_guardian(
        self,
        guardians: NamedDependency[GuardianService],
        student_id: PathId,
        data: JSONBody[GuardianLinkCreate],
    ) -> GuardianLinkRead:
        """Link a guardian's account (role guardian) to the student: it may then read the student's
        marks, results and attendance."""
        return link_view(
            *await guardians.link(student_id, {"user_id": data.user_id, "relation": data.relation})
        )

    @delete("/{link_id:int}", operation_id="UnlinkGuardian")
    async def unlink_guardian(
        self, guardians: NamedDependency[GuardianService], student_id: PathId, link_id: PathId
    ) -> None:
        """Remove a guardian's link: the account no longer sees the student."""
        await guardians.unlink(student_id, link_id)
