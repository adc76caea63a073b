"""Append-only audit trail per tenant, written by services in the same transaction as the change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Select, String, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantBase
from hemis.core.observability import request_id_var


class AuditEvent(TenantBase):
    """Tenant roles may INSERT and SELECT only (the migration revokes UPDATE/DELETE/TRUNCATE)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(100), index=True)
    actor: Mapped[str] = mapped_column(String(255))
    entity: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


async def record(
    session: AsyncSession,
    action: str,
    *,
    entity: str,
    entity_id: object,
    actor: str,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=datetime.now(UTC),
        action=action,
        actor=actor,
        entity=entity,
        entity_id=str(entity_id),
        request_id=request_id_var.get() or "",
        data=data or {},
    )
    session.add(event)
    await session.flush()
    return event


def context_of(actor: str, reason: str) -> Select[Any]:
    """The one-column SELECT that tells database triggers (grade history) who acts and why, for
    this transaction only; as a scalar subquery a write carries it in the same round trip."""
    actor_set = func.set_config("hemis.actor", actor, True)  # lint-skip: transaction-local audit context
    reason_set = func.set_config("hemis.reason", reason, True)  # lint-skip: transaction-local audit context
    request_set = func.set_config("hemis.request_id", request_id_var.get() or "", True)  # lint-skip: audit
    return select(func.concat(actor_set, reason_set, request_set).label("context"))


async def bind_context(session: AsyncSession, *, actor: str, reason: str) -> None:
    """Set the audit context on its own (for writes made by the ORM)."""
    await session.execute(context_of(actor, reason))
