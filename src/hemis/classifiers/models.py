"""Classifier tables in schema ref; tenants read them, only releases write them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import SharedModel
from tenants.naming import REF_SCHEMA


class ClassifierRelease(SharedModel):
    """One loaded version of the national lists; items say in which release they appeared or left."""

    __tablename__ = "classifier_release"
    __table_args__ = ({"schema": REF_SCHEMA},)

    version: Mapped[str] = mapped_column(String(32), unique=True)
    loaded_at: Mapped[datetime]
    item_count: Mapped[int] = mapped_column(Integer)


class Classifier(SharedModel):
    __tablename__ = "classifier"
    __table_args__ = ({"schema": REF_SCHEMA},)

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_uz: Mapped[str] = mapped_column(String(255))
    name_oz: Mapped[str] = mapped_column(String(255))
    name_ru: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(32))


class ClassifierItem(SharedModel):
    __tablename__ = "classifier_item"
    __table_args__ = (
        UniqueConstraint("classifier_code", "code"),
        {"schema": REF_SCHEMA},
    )

    classifier_code: Mapped[str] = mapped_column(
        ForeignKey(f"{REF_SCHEMA}.classifier.code", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    name_uz: Mapped[str] = mapped_column(String(500))
    name_oz: Mapped[str] = mapped_column(String(500))
    name_ru: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str] = mapped_column(String(500))
    parent_code: Mapped[str | None] = mapped_column(String(32), default=None)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    since_version: Mapped[str] = mapped_column(String(32))
    # Set when a later release no longer lists the item; kept so old records still resolve.
    retired_version: Mapped[str | None] = mapped_column(String(32), default=None)
