"""The institution profile of the current tenant."""

from __future__ import annotations

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

from hemis.core.errors import NotFound
from hemis.institution.models import InstitutionProfile
from hemis.institution.schemas import InstitutionRead


class InstitutionService(SQLAlchemyAsyncRepositoryService[InstitutionProfile]):
    class Repo(SQLAlchemyAsyncRepository[InstitutionProfile]):
        model_type = InstitutionProfile

    repository_type = Repo

    async def profile(self, language: str) -> InstitutionRead:
        row = await self.get_one_or_none()
        if row is None:
            raise NotFound
        name = getattr(row, f"name_{language}") or row.name_uz
        return InstitutionRead(
            tenant_code=row.tenant_code,
            kind=row.kind,
            name=name,
            short_name=row.short_name,
            hemis_code=row.hemis_code,
            region_code=row.region_code,
            address=row.address,
            website=row.website,
            email=row.email,
            phone=row.phone,
        )
