"""GET /api/v1/classifiers: the national reference lists, readable on every host."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.classifiers.schemas import ClassifierDetail, ClassifierRead
from hemis.classifiers.service import ClassifierService
from hemis.core.deps import provide_shared_session
from hemis.core.schemas import MAX_PAGE_SIZE


async def provide_classifiers(shared_db: NamedDependency[AsyncSession]) -> ClassifierService:
    return ClassifierService(shared_db)


class ClassifierController(Controller):
    path = "/api/v1/classifiers"
    tags = ["Classifiers"]
    dependencies = {
        "shared_db": Provide(provide_shared_session),
        "classifiers": Provide(provide_classifiers),
    }

    @get(operation_id="ListClassifiers")
    async def list_classifiers(
        self, classifiers: NamedDependency[ClassifierService], language: NamedDependency[str]
    ) -> list[ClassifierRead]:
        """All national classifiers with their current version and item count."""
        return await classifiers.list_classifiers(language)

    @get("/{code:str}", operation_id="GetClassifier")
    async def get_classifier(
        self,
        classifiers: NamedDependency[ClassifierService],
        language: NamedDependency[str],
        code: FromPath[str],
        parent: Annotated[str | None, QueryParameter(max_length=32)] = None,
        search: Annotated[str | None, QueryParameter(max_length=100)] = None,
        include_retired: Annotated[bool, QueryParameter()] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = MAX_PAGE_SIZE,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> ClassifierDetail:
        """One classifier's items, filtered by parent (districts of a region) or a search text."""
        return await classifiers.get_items(
            code,
            language,
            parent=parent,
            search=search,
            include_retired=include_retired,
            limit=limit,
            offset=offset,
        )
