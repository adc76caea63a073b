"""Checks that codes sent by clients exist in the national classifiers (schema ref)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.classifiers.models import ClassifierItem
from hemis.core.errors import HemisError


class UnknownCode(HemisError):
    status_code = 422
    message_key = "error.unknown_code"


async def check_sent_codes(
    session: AsyncSession, values: dict[str, Any], changed: frozenset[str], codes: dict[str, str]
) -> None:
    """Check the coded fields of `codes` (field → classifier) that the caller sent; an optional
    field sent as null is a cleared value, not a code."""
    await check_codes(
        session, {f: (c, values[f]) for f, c in codes.items() if f in changed and values[f] is not None}
    )


async def check_codes(session: AsyncSession, fields: dict[str, tuple[str, str]]) -> None:
    """`fields` maps a field name to (classifier, code); the first unknown code is a 422 naming it."""
    if not fields:
        return
    pairs = list(fields.values())
    rows = await session.execute(
        select(ClassifierItem.classifier_code, ClassifierItem.code).where(
            tuple_(ClassifierItem.classifier_code, ClassifierItem.code).in_(pairs),
            ClassifierItem.retired_version.is_(None),
        )
    )
    found = {(classifier, code) for classifier, code in rows}
    for field, pair in fields.items():
        if pair not in found:
            raise UnknownCode(field=field, code=pair[1], classifier=pair[0])
