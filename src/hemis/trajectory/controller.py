"""/api/v1/students/{id}/electives: a student's individual trajectory."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from hemis.core.auth import Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import PathId
from hemis.core.schemas import to_read
from hemis.trajectory.schemas import ChoiceCreate, ChoiceRead
from hemis.trajectory.service import TrajectoryService

READ = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.TEACHER, Role.TUTOR, Role.INTEGRATION)
WRITE = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN)


class TrajectoryController(Controller):
    path = "/api/v1/students/{student_id:int}/electives"
    tags = ["Students"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {"principal": Provide(provide_principal), "trajectory": provide_service(TrajectoryService)}

    @get(operation_id="ListElectiveChoices", guards=[READ])
    async def list_choices(
        self, trajectory: NamedDependency[TrajectoryService], student_id: PathId
    ) -> list[ChoiceRead]:
        """The electives the student chose."""
        return [to_read(c, ChoiceRead) for c in await trajectory.choices(student_id)]

    @post(operation_id="ChooseElective", guards=[WRITE])
    async def choose(
        self, trajectory: NamedDependency[TrajectoryService], student_id: PathId, data: JSONBody[ChoiceCreate]
    ) -> ChoiceRead:
        """Choose an elective of the student's curriculum (one per semester and block)."""
        values = {"student_id": student_id, "curriculum_subject_id": data.curriculum_subject_id}
        return to_read(await trajectory.create(values), ChoiceRead)

    @delete("/{choice_id:int}", operation_id="DropElective", guards=[WRITE])
    async def drop(
        self, trajectory: NamedDependency[TrajectoryService], student_id: PathId, choice_id: PathId
    ) -> None:
        """Drop a choice, while the student has no marks in it."""
        await trajectory.drop(student_id, choice_id)
