"""HEMIS's /rest/v1/public/stat-student, stat-employee and stat-structure for one university: the `{success, error,
code, data}` envelope and the nested, name-keyed shapes that university websites read (e.g.
`data.education_type.Jami`, `data.level.<type>.<course>.<form>`), from its national rows.

Figures HEMIS has and the roll-ups do not keep (employees' citizenship, direction and `academic`)
are answered as empty objects, so readers that walk every key keep working."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from hemis.core.i18n import translate
from hemis.reporting import labels
from hemis.reporting.breakdowns import FAMILIES, query
from hemis.reporting.service import STUDYING, ReportingService
from hemis.rollups.models import Demography, Structure

STUDENT_DIMENSIONS = [
    "education_type",
    "education_form",
    "payment_form",
    "course",
    "gender",
    "region",
    "citizenship",
]
EMPLOYEE_DIMENSIONS = ["position", "gender", "academic_degree", "academic_rank", "employment_form"]


def envelope(data: Any) -> dict[str, Any]:
    return {"success": True, "error": None, "code": 200, "data": data}


def _tree(
    rows: Sequence[Mapping[str, Any]], path: Sequence[str], measure: str, language: str
) -> dict[str, Any]:
    """Rows summed into nested dicts keyed by the names of `path`'s dimensions."""
    root: dict[str, Any] = {}
    for row in rows:
        node = root
        for dimension in path[:-1]:
            node = node.setdefault(labels.value_name(dimension, row[dimension], language), {})
        leaf = labels.value_name(path[-1], row[path[-1]], language)
        node[leaf] = node.get(leaf, 0) + int(row[measure])
    return root


async def _rows(
    reporting: ReportingService, family: str, by: list[str], **where: str
) -> list[dict[str, Any]]:
    statement = query(FAMILIES[family], by, university=reporting.tenant.code, where=where)
    found = await reporting.session.execute(statement)
    return [{k: (v if v is not None else "") for k, v in r._mapping.items()} for r in found]


async def _demography(reporting: ReportingService, kind: str) -> list[dict[str, Any]]:
    """The university's demography rows of `kind` ('student' or 'employee')."""
    found = await reporting.session.execute(
        select(
            Demography.age_band,
            Demography.accommodation,
            Demography.education_type,
            Demography.gender,
            func.sum(Demography.count).label("count"),
        )
        .where(Demography.tenant_code == reporting.tenant.code, Demography.kind == kind)
        .group_by(Demography.age_band, Demography.accommodation, Demography.education_type, Demography.gender)
        .order_by(Demography.age_band)
    )
    return [dict(r._mapping) for r in found]


async def stat_student(reporting: ReportingService) -> dict[str, Any]:
    language = reporting.language
    rows = await _rows(reporting, "contingent", STUDENT_DIMENSIONS, status=STUDYING)
    people = await _demography(reporting, "student")
    by_type = _tree(rows, ["education_type", "gender"], "students", language)
    total: dict[str, int] = defaultdict(int)
    for genders in by_type.values():
        for gender, count in genders.items():
            total[gender] += count
    by_type[translate("reporting.hemis.total", language)] = dict(total)
    return envelope(
        {
            "education_type": by_type,
            "age": _tree(people, ["age_band", "education_type"], "count", language),
            "payment": _tree(rows, ["payment_form", "education_type"], "students", language),
            "region": _tree(rows, ["region", "education_type"], "students", language),
            "citizenship": _tree(rows, ["citizenship", "education_type"], "students", language),
            "accommodation": _tree(people, ["accommodation", "education_type"], "count", language),
            "education_form": _tree(
                rows, ["education_type", "education_form", "gender"], "students", language
            ),
            "level": _tree(rows, ["education_type", "course", "education_form"], "students", language),
        }
    )


async def stat_employee(reporting: ReportingService) -> dict[str, Any]:
    language = reporting.language
    rows = await _rows(reporting, "staff", EMPLOYEE_DIMENSIONS)
    people = await _demography(reporting, "employee")
    return envelope(
        {
            "position": _tree(rows, ["position"], "employees", language),
            "gender": _tree(rows, ["gender"], "employees", language),
            "citizenship": {},
            "academic_degree": _tree(rows, ["academic_degree", "gender"], "employees", language),
            "academic_rank": _tree(rows, ["academic_rank", "gender"], "employees", language),
            "direction": {},
            "academic": {},
            "age": _tree(people, ["age_band", "gender"], "count", language),
            "employment_form": _tree(rows, ["employment_form"], "employees", language),
        }
    )


# stat-structure's lists, and the dimension naming each list's codes.
STRUCTURE_KINDS = {
    "groups": "education_type",
    "auditoriums": "auditorium_type",
    "specialities": "education_type",
    "departments": "structure_type",
}


async def stat_structure(reporting: ReportingService) -> dict[str, Any]:
    """`{groups, auditoriums, specialities, departments}`, each a list of `{name, count}`: groups
    and specialities by education type, departments by structure type, auditoriums by type."""
    rows = await reporting.session.execute(
        select(Structure.kind, Structure.code, func.sum(Structure.count))
        .where(Structure.tenant_code == reporting.tenant.code)
        .group_by(Structure.kind, Structure.code)
        .order_by(Structure.kind, Structure.code)
    )
    data: dict[str, list[dict[str, Any]]] = {kind: [] for kind in STRUCTURE_KINDS}
    for kind, code, count in rows:
        if kind in data:
            name = labels.value_name(STRUCTURE_KINDS[kind], code, reporting.language)
            data[kind].append({"name": name, "count": int(count)})
    return envelope(data)
