"""GET /api/v1/access/me (who am I) and GET /api/v1/access/tokens (admins)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.access.schemas import ApiTokenRead, PrincipalRead
from hemis.access.service import ApiTokenService
from hemis.core.auth import Principal, Role, provide_principal, requires_role


async def provide_tokens(db_session: NamedDependency[AsyncSession]) -> ApiTokenService:
    return ApiTokenService(session=db_session)


class AccessController(Controller):
    path = "/api/v1/access"
    tags = ["Access"]
    opt = {"tenant_kinds": {"university", "national"}}
    dependencies = {"principal": Provide(provide_principal), "tokens": Provide(provide_tokens)}

    @get("/me", operation_id="GetMe", guards=[requires_role(*Role)])
    async def me(self, principal: NamedDependency[Principal]) -> PrincipalRead:
        """The caller as this tenant sees it."""
        return PrincipalRead(
            tenant=principal.tenant_code, subject=principal.subject, roles=sorted(principal.roles)
        )

    @get("/tokens", operation_id="ListApiTokens", guards=[requires_role(Role.ADMIN)])
    async def list_tokens(self, tokens: NamedDependency[ApiTokenService]) -> list[ApiTokenRead]:
        """This university's API tokens, newest first; secrets are never shown again."""
        rows = await tokens.list()
        return [
            ApiTokenRead(
                id=t.id, name=t.name, roles=t.roles, created_at=t.created_at, revoked_at=t.revoked_at
            )
            for t in sorted(rows, key=lambda t: t.id, reverse=True)
        ]
