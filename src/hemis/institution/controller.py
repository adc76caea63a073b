"""GET /api/v1/institution: who this tenant is."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.institution.schemas import InstitutionRead
from hemis.institution.service import InstitutionService


async def provide_institution(db_session: NamedDependency[AsyncSession]) -> InstitutionService:
    return InstitutionService(session=db_session)


class InstitutionController(Controller):
    path = "/api/v1/institution"
    tags = ["Institution"]
    opt = {"tenant_kinds": {"university", "national"}}
    dependencies = {"institution": Provide(provide_institution)}

    @get(operation_id="GetInstitution")
    async def get_institution(
        self, institution: NamedDependency[InstitutionService], language: NamedDependency[str]
    ) -> InstitutionRead:
        """The profile of the university (or ministry) this host belongs to."""
        return await institution.profile(language)
