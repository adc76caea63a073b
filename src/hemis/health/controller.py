"""GET /health (the process answers) and GET /ready (the database answers as the app role)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.errors import language_of
from hemis.core.i18n import translate
from tenants.models import Tenant
from tenants.session import shared_session


class HealthController(Controller):
    tags = ["Health"]

    @get("/health", operation_id="GetHealth", exclude_from_auth=True)
    async def health(self, request: Request[Any, Any, Any]) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok", "message": translate("health.ok", language_of(request))}

    @get("/ready", operation_id="GetReadiness", exclude_from_auth=True)
    async def ready(self, request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        """The database answers and the shared registry is readable by the app role."""
        maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
        language = language_of(request)
        try:
            async with shared_session(maker) as session:
                await session.execute(select(Tenant.id).limit(1))
        except Exception:  # noqa: BLE001 - any database failure means "not ready", never a 500
            return Response(
                {"status": "unavailable", "message": translate("health.not_ready", language)}, status_code=503
            )
        return Response({"status": "ok", "message": translate("health.ok", language)})
