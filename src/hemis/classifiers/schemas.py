"""Classifier API shapes: names come in the caller's language."""

from __future__ import annotations

from typing import Any

from hemis.core.schemas import Struct


class ClassifierRead(Struct):
    code: str
    name: str
    version: str
    item_count: int


class ClassifierItemRead(Struct):
    code: str
    name: str
    parent_code: str | None
    extra: dict[str, Any]
    since_version: str
    retired: bool


class ClassifierDetail(Struct):
    code: str
    name: str
    version: str
    items: list[ClassifierItemRead]
    total: int
    limit: int
    offset: int
