"""The national student registry's anomalies, for the ministry: a PINFL studying at two
universities at once, and transfers (a record that left one university beside a studying one
at another). Read through ReportingService, so they are cached and carry their freshness."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from hemis.core.listing import ListParams
from hemis.reporting.schemas import (
    DuplicatePage,
    DuplicateRead,
    FreshnessRead,
    RegistryRecord,
    TransferPage,
    TransferRead,
)
from hemis.reporting.service import STUDYING, Named, ReportingService
from hemis.rollups.models import StudentRegistry

EXPELLED = "12"


async def duplicates(reporting: ReportingService, params: ListParams | None) -> DuplicatePage:
    """PINFLs studying at two or more universities at once, with each studying record."""
    session = reporting.session

    async def compute(fresh: FreshnessRead) -> DuplicatePage:
        twice = (
            select(StudentRegistry.pinfl)
            .where(StudentRegistry.status == STUDYING)
            .group_by(StudentRegistry.pinfl)
            .having(func.count(func.distinct(StudentRegistry.tenant_code)) > 1)
        )
        total = int(await session.scalar(select(func.count()).select_from(twice.subquery())) or 0)
        paged = twice.order_by(StudentRegistry.pinfl)
        if params is not None:
            paged = paged.limit(params.limit).offset(params.offset)
        pinfls = list((await session.scalars(paged)).all())
        records = (
            await session.scalars(
                select(StudentRegistry)
                .where(StudentRegistry.pinfl.in_(pinfls), StudentRegistry.status == STUDYING)
                .order_by(StudentRegistry.pinfl, StudentRegistry.tenant_code, StudentRegistry.student_id)
            )
        ).all()
        names = await reporting.names()
        grouped: dict[str, list[RegistryRecord]] = {p: [] for p in pinfls}
        for record in records:
            grouped[record.pinfl].append(_record(record, names))
        return DuplicatePage(
            items=[DuplicateRead(pinfl=p, records=r) for p, r in grouped.items()],
            total=total,
            limit=params.limit if params else total,
            offset=params.offset if params else 0,
            freshness=fresh,
        )

    return await reporting._answer(("duplicates", params), ["registry"], None, compute)


async def transfers(
    reporting: ReportingService, params: ListParams | None, *, since: date | None
) -> TransferPage:
    """Expelled at one university beside studying at another, by PINFL; latest departures first."""
    session = reporting.session

    async def compute(fresh: FreshnessRead) -> TransferPage:
        left, now = aliased(StudentRegistry), aliased(StudentRegistry)
        pairs = (
            select(left, now)
            .join(now, and_(now.pinfl == left.pinfl, now.tenant_code != left.tenant_code))
            .where(left.status == EXPELLED, now.status == STUDYING)
        )
        if since is not None:
            pairs = pairs.where(left.changed_at >= datetime(since.year, since.month, since.day, tzinfo=UTC))
        total = int(await session.scalar(select(func.count()).select_from(pairs.subquery())) or 0)
        ordered = pairs.order_by(left.changed_at.desc(), left.pinfl, left.id, now.id)
        if params is not None:
            ordered = ordered.limit(params.limit).offset(params.offset)
        names = await reporting.names()
        items = [
            TransferRead(pinfl=a.pinfl, left=_record(a, names), studying=_record(b, names))
            for a, b in (await session.execute(ordered)).all()
        ]
        return TransferPage(
            items=items,
            total=total,
            limit=params.limit if params else total,
            offset=params.offset if params else 0,
            freshness=fresh,
        )

    return await reporting._answer(("transfers", params, since), ["registry"], None, compute)


def _record(record: StudentRegistry, names: Mapping[str, Named]) -> RegistryRecord:
    named = names.get(record.tenant_code)
    return RegistryRecord(
        university=record.tenant_code,
        university_name=named.name if named else record.tenant_code,
        student_id=record.student_id,
        status=record.status,
        education_type=record.education_type,
        course=record.course,
        changed_at=record.changed_at,
    )
