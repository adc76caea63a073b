"""A university's grading scales, and which scale grades a curriculum.

Resolution (most specific first): the curriculum's own scale → the university's default
scale of the curriculum's marking system → HEMIS's built-in scale of that system.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.crud import CrudService, Duplicate
from hemis.core.errors import Conflict, HemisError, OutOfRange, TooPrecise
from hemis.core.listing import ListParams, fetch_page
from hemis.core.refs import check_sent_codes
from hemis.curriculum.models import Curriculum
from hemis.grading.models import GradingScaleConfig
from hemis.grading.rules import DEFAULT_SCALES, GradingScale, MarkingSystem, scale_of

POINT_FIELDS = ("max_points", "min_excellent", "min_good", "min_satisfactory", "pass_points")


class GpaLimitRequired(HemisError):
    status_code = 422
    message_key = "grading.gpa_limit_required"


def as_rules(row: GradingScaleConfig) -> GradingScale:
    return scale_of(
        MarkingSystem(row.marking_system),
        max_points=row.max_points,
        min_excellent=row.min_excellent,
        min_good=row.min_good,
        min_satisfactory=row.min_satisfactory,
        pass_points=row.pass_points,
        final_attempts=row.final_attempts,
        gpa_limit=row.gpa_limit,
    )


async def scale_for(session: AsyncSession, marking_system: str, grading_scale_id: int | None) -> GradingScale:
    """The scale of a curriculum with this marking system and own scale (see the module docstring)."""
    return (await scales_for(session, [(0, marking_system, grading_scale_id)]))[0]


async def scales_for(
    session: AsyncSession, curricula: Sequence[tuple[int, str, int | None]]
) -> dict[int, GradingScale]:
    """scale_for() of many (curriculum id, marking system, own scale id) in one query."""
    rows = list(await session.scalars(select(GradingScaleConfig)))
    own = {row.id: as_rules(row) for row in rows}
    defaults = {row.marking_system: as_rules(row) for row in rows if row.is_default}
    return {
        cid: own[scale_id]
        if scale_id is not None
        else defaults.get(system) or DEFAULT_SCALES[MarkingSystem(system)]
        for cid, system, scale_id in curricula
    }


class ScaleService(CrudService[GradingScaleConfig]):
    model = GradingScaleConfig

    async def check(
        self, values: dict[str, Any], current: GradingScaleConfig | None, changed: frozenset[str]
    ) -> None:
        await check_sent_codes(self.session, values, changed, {"marking_system": "h_marking_system"})
        for field in POINT_FIELDS:  # first alone, so the comparisons below only meet real numbers
            OutOfRange.check(values, field, Decimal(0), Decimal(100), low_open=True)
            TooPrecise.check(values, field, 2)
        OutOfRange.check(values, "gpa_limit", Decimal(0), Decimal(5), low_open=True)
        TooPrecise.check(values, "gpa_limit", 1)
        # Each border lies strictly between its neighbours; the error names the border out of line.
        top = values["max_points"]
        OutOfRange.check(values, "min_excellent", values["min_good"], top, low_open=True)
        OutOfRange.check(
            values, "min_good", values["min_satisfactory"], values["min_excellent"], low_open=True
        )
        OutOfRange.check(values, "pass_points", Decimal(0), top, low_open=True)
        if values["marking_system"] == MarkingSystem.CREDIT and values.get("gpa_limit") is None:
            raise GpaLimitRequired(field="gpa_limit")
        if "is_default" in changed and values["is_default"] and await self._other_default(values, current):
            raise Duplicate(field="is_default")
        if changed & {"is_default", "max_points"} and await self._moves_default_maximum(values, current):
            # Curricula without a scale of their own would silently follow another maximum.
            raise Conflict(field="is_default" if "is_default" in changed else "max_points")
        if current is not None and "max_points" in changed and await self._in_use(current):
            # Curricula split this maximum into JN/ON/YN maxima: changing it would break them all.
            raise Conflict(field="max_points")
        if current is not None and "marking_system" in changed and await self._in_use(current):
            raise Conflict(field="marking_system")

    async def _moves_default_maximum(
        self, values: dict[str, Any], current: GradingScaleConfig | None
    ) -> bool:
        """Would the maximum followed by curricula without their own scale change?"""
        system = values["marking_system"]
        before = (await scale_for(self.session, system, None)).max_points
        was_default = current is not None and current.is_default
        if values["is_default"]:
            after = values["max_points"]
        elif was_default:
            after = DEFAULT_SCALES[MarkingSystem(system)].max_points
        else:
            return False
        if before == after:
            return False
        followers = select(Curriculum.id).where(
            Curriculum.grading_scale_id.is_(None), Curriculum.marking_system == system
        )
        return await self.session.scalar(followers.limit(1)) is not None

    async def _other_default(self, values: dict[str, Any], current: GradingScaleConfig | None) -> bool:
        query = select(GradingScaleConfig.id).where(
            GradingScaleConfig.marking_system == values["marking_system"],
            GradingScaleConfig.is_default.is_(True),
        )
        if current is not None:
            query = query.where(GradingScaleConfig.id != current.id)
        return await self.session.scalar(query) is not None

    async def _in_use(self, row: GradingScaleConfig) -> bool:
        uses = Curriculum.grading_scale_id == row.id
        if row.is_default:  # curricula without a scale of their own follow the default
            uses = or_(
                uses,
                Curriculum.grading_scale_id.is_(None) & (Curriculum.marking_system == row.marking_system),
            )
        return bool(await self.session.scalar(select(exists().where(uses))))

    async def page(self, params: ListParams) -> tuple[list[GradingScaleConfig], int]:
        return await fetch_page(
            self.session,
            select(GradingScaleConfig),
            params,
            sortable={"code": GradingScaleConfig.code, "name": GradingScaleConfig.name},
            default_sort="code",
            searchable=[GradingScaleConfig.code, GradingScaleConfig.name],
        )
