"""GET /api/v1/access/me (who am I) and GET /api/v1/access/tokens (admins)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.access.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenRead, PrincipalRead
from hemis.access.service import ApiTokenService
from hemis.core.auth import Principal, Role, provide_principal, requires_role
from hemis.core.listing import PathId
from hemis.core.schemas import extended, to_read

ADMINS = requires_role(Role.ADMIN)


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

    @get("/tokens", operation_id="ListApiTokens", guards=[ADMINS])
    async def list_tokens(self, tokens: NamedDependency[ApiTokenService]) -> list[ApiTokenRead]:
        """This university's API tokens, newest first; secrets are never shown again."""
        rows = await tokens.list()
        return [to_read(t, ApiTokenRead) for t in sorted(rows, key=lambda t: t.id, reverse=True)]

    @post("/tokens", operation_id="IssueApiToken", guards=[ADMINS])
    async def issue_token(
        self,
        tokens: NamedDependency[ApiTokenService],
        principal: NamedDependency[Principal],
        data: JSONBody[ApiTokenCreate],
    ) -> ApiTokenCreated:
        """A token for a machine client of this university, valid `days` (≤ 365); the secret once."""
        token, secret = await tokens.issue(data.name, set(data.roles), by=principal.subject, days=data.days)
        return extended(to_read(token, ApiTokenRead), ApiTokenCreated, token=secret)

    @post("/tokens/{token_id:int}/revoke", operation_id="RevokeApiToken", guards=[ADMINS], status_code=200)
    async def revoke_token(
        self,
        tokens: NamedDependency[ApiTokenService],
        principal: NamedDependency[Principal],
        token_id: PathId,
    ) -> ApiTokenRead:
        """Stop the token now."""
        return to_read(await tokens.revoke(token_id, by=principal.subject), ApiTokenRead)
