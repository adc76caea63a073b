"""Reading classifiers in a language, and loading a release of the national lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from hemis.classifiers.models import Classifier, ClassifierItem, ClassifierRelease
from hemis.classifiers.schemas import ClassifierDetail, ClassifierItemRead, ClassifierRead
from hemis.core.errors import NotFound
from hemis.core.i18n import LANGUAGES

DATA_FILE = Path(__file__).parent / "data" / "classifiers.json"


class ClassifierNotFound(NotFound):
    message_key = "classifier.not_found"


def _name(row: Any, language: str) -> str:
    return str(getattr(row, f"name_{language}") or row.name_uz)


class ClassifierService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_classifiers(self, language: str) -> list[ClassifierRead]:
        counts = (
            select(ClassifierItem.classifier_code, func.count().label("n"))
            .where(ClassifierItem.retired_version.is_(None))
            .group_by(ClassifierItem.classifier_code)
            .subquery()
        )
        rows = await self.session.execute(
            select(Classifier, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.classifier_code == Classifier.code)
            .order_by(Classifier.code)
        )
        return [
            ClassifierRead(code=c.code, name=_name(c, language), version=c.version, item_count=n)
            for c, n in rows
        ]

    async def get_items(
        self,
        code: str,
        language: str,
        *,
        parent: str | None = None,
        search: str | None = None,
        include_retired: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> ClassifierDetail:
        classifier = await self.session.scalar(select(Classifier).where(Classifier.code == code))
        if classifier is None:
            raise ClassifierNotFound(field="code", code=code)
        query = select(ClassifierItem).where(ClassifierItem.classifier_code == code)
        if not include_retired:
            query = query.where(ClassifierItem.retired_version.is_(None))
        if parent is not None:
            query = query.where(ClassifierItem.parent_code == parent)
        if search:
            pattern = f"%{search}%"
            query = query.where(
                or_(
                    *(getattr(ClassifierItem, f"name_{lang}").ilike(pattern) for lang in LANGUAGES),
                    ClassifierItem.code.startswith(search),
                )
            )
        total = await self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        items = await self.session.scalars(
            query.order_by(ClassifierItem.position, ClassifierItem.code).limit(limit).offset(offset)
        )
        return ClassifierDetail(
            code=classifier.code,
            name=_name(classifier, language),
            version=classifier.version,
            items=[
                ClassifierItemRead(
                    code=i.code,
                    name=_name(i, language),
                    parent_code=i.parent_code,
                    extra=i.extra,
                    since_version=i.since_version,
                    retired=i.retired_version is not None,
                )
                for i in items
            ],
            total=total,
            limit=limit,
            offset=offset,
        )


def load_data(path: Path = DATA_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


async def load_release(conn: AsyncConnection, data: dict[str, Any]) -> bool:
    """Upsert a release of the lists; items it no longer names are retired, never deleted.

    Returns False when this version is already loaded (the call is then a no-op).
    """
    version = data["version"]
    if await conn.scalar(select(ClassifierRelease.id).where(ClassifierRelease.version == version)):
        return False
    now = datetime.now(UTC)
    count = 0
    for classifier in data["classifiers"]:
        names = {f"name_{lang}": classifier["name"][lang] for lang in LANGUAGES}
        stmt = insert(Classifier).values(
            code=classifier["code"], version=version, created_at=now, updated_at=now, **names
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["code"], set_={"version": version, "updated_at": now, **names}
            )
        )
        listed: list[str] = []
        for position, item in enumerate(classifier["items"]):
            listed.append(item["code"])
            values = {
                **{f"name_{lang}": item["name"][lang] for lang in LANGUAGES},
                "parent_code": item.get("parent"),
                "extra": item.get("extra", {}),
                "position": position,
            }
            stmt = insert(ClassifierItem).values(
                classifier_code=classifier["code"],
                code=item["code"],
                since_version=version,
                created_at=now,
                updated_at=now,
                **values,
            )
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["classifier_code", "code"],
                    set_={**values, "retired_version": None, "updated_at": now},
                )
            )
            count += 1
        await conn.execute(
            update(ClassifierItem)
            .where(
                ClassifierItem.classifier_code == classifier["code"],
                ClassifierItem.code.not_in(listed),
                ClassifierItem.retired_version.is_(None),
            )
            .values(retired_version=version, updated_at=now)
        )
    await conn.execute(
        insert(ClassifierRelease).values(
            version=version, loaded_at=now, item_count=count, created_at=now, updated_at=now
        )
    )
    return True
