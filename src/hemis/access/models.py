"""api_token: bearer tokens of one tenant; only a SHA-256 of the secret is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel


class ApiToken(TenantModel):
    __tablename__ = "api_token"

    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # Every token ends: a forgotten integration's secret stops working by itself.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
