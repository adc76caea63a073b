"""One university's figures for the national roll-ups, read in that university's own transaction.

Each family is a function of the tenant session returning plain rows for its national table
(hemis.rollups.models); which tables feed which family is SOURCES, so a change to `mark`
recomputes performance and the KPIs, not the contingent. Grading rules are not repeated
here: performance comes from ResultService, as ratings and stipends do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Numeric,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.db import table_of
from hemis.curriculum.models import CurriculumSubject, CurriculumWeek, Specialty
from hemis.finance.models import ELECTRONIC_PROVIDERS, Contract, LedgerEntry
from hemis.finance.rules import ACADEMIC_YEAR_START_MONTH, academic_year_of
from hemis.identity.models import UserAccount
from hemis.institution.models import InstitutionProfile
from hemis.results.models import StudentPerformance
from hemis.results.service import STUDYING, cohort_performance_query, whole_term_plan
from hemis.rollups.models import (
    Attendance,
    Contingent,
    Demography,
    Finance,
    Performance,
    Staff,
    Stipend,
    Structure,
    StudentRegistry,
)
from hemis.staff.models import Employee, TeachingAssignment
from hemis.stipends.models import StipendLine, StipendRun
from hemis.structure.models import Auditorium, Department
from hemis.students.models import AcademicGroup, Student
from hemis.trajectory.models import ElectiveChoice
from hemis.trajectory.service import ELECTIVE

CITIZEN = "11"
THEORY_WEEK = "11"  # h_education_week_type: theoretical study

# The tenant tables each family reads: a statement on any of them makes the family stale.
STUDENT_TABLES = frozenset({"student", "academic_group"})
SOURCES: dict[str, frozenset[str]] = {
    "profile": frozenset({"institution_profile"}),
    "contingent": STUDENT_TABLES,
    "registry": STUDENT_TABLES,
    "performance": STUDENT_TABLES
    | {"mark", "mark_sheet", "curriculum", "curriculum_subject", "grading_scale", "elective_choice"}
    | {"absence"},  # a subject without a final is a debt once absences bar it
    "attendance": STUDENT_TABLES | {"absence", "curriculum_subject", "curriculum_week", "elective_choice"},
    "finance": frozenset({"contract", "ledger_entry"}),
    "stipends": frozenset({"stipend_run", "stipend_line"}),
    "staff": frozenset({"employee", "teaching_assignment"}),
    "structure": frozenset({"academic_group", "specialty", "department", "auditorium"}),
    "demography": STUDENT_TABLES | {"employee"},
    # The KPIs are recomputed with any family; these are what they read beyond the families.
    "kpi": STUDENT_TABLES | {"employee", "mark", "mark_sheet", "user_account"},
}
FAMILIES = tuple(SOURCES)
WATCHED_TABLES = frozenset().union(*SOURCES.values())


def families_of(sources: set[str]) -> set[str]:
    """The families made stale by statements on these tables (the KPIs with any of them)."""
    stale = {family for family, tables in SOURCES.items() if tables & sources}
    return stale | {"kpi"} if stale else stale


def running_semester_offset(day: date) -> int:
    """0 in the autumn semester (its session runs into January), 1 in the spring one."""
    return 0 if day.month >= ACADEMIC_YEAR_START_MONTH or day.month == 1 else 1


def fallback_share(day: date) -> Decimal:
    """How much of the running semester's classes have passed, for a curriculum without a week
    calendar: autumn classes from 2 September, spring ones from 26 January, 15 weeks each."""
    start = date(academic_year_of(day), 9, 2) if running_semester_offset(day) == 0 else date(day.year, 1, 26)
    weeks = Decimal(max(0, (day - start).days)) / 7
    return min(Decimal(1), (weeks / 15).quantize(Decimal("0.0001")))


# A family's rows: one dict per row, or (for the large registry) one list per column.
FamilyRows = list[dict[str, Any]] | dict[str, list[Any]]


def columns_of(result: Any) -> dict[str, list[Any]]:
    """A statement's result as one list per column, without a Python object per row ({} for none)."""
    return _columns(list(result.keys()), result.all())


def _columns(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, list[Any]]:
    """`rows` (tuples in the order of `names`) as one list per column ({} for none)."""
    return (
        {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}
        if rows
        else {}
    )


def as_columns(rows: FamilyRows) -> dict[str, list[Any]]:
    """`rows` as one list per column ({} for no rows)."""
    if isinstance(rows, dict):
        return rows
    return {name: [row[name] for row in rows] for name in rows[0]} if rows else {}


async def profile(session: AsyncSession, today: date) -> list[dict[str, Any]]:
    row = (await session.execute(select(InstitutionProfile).limit(1))).scalar_one_or_none()
    if row is None:
        return []
    return [
        {
            "name_uz": row.name_uz,
            "name_ru": row.name_ru or row.name_uz,
            "name_en": row.name_en or row.name_uz,
            "short_name": row.short_name,
            "region_code": (row.region_code or "")[:4],
        }
    ]


@cache
def _contingent_query() -> Any:
    dims = {
        "status": Student.status,
        "education_type": AcademicGroup.education_type,
        "education_form": AcademicGroup.education_form,
        "payment_form": Student.payment_form,
        "course": AcademicGroup.course,
        "gender": Student.gender,
        "region_code": func.coalesce(func.left(Student.region_code, 4), ""),
        "citizenship": Student.citizenship,
    }
    return (
        select(*(c.label(k) for k, c in dims.items()), func.count().label("students"))
        .join(AcademicGroup, AcademicGroup.id == Student.group_id)
        .group_by(*dims.values())
    )


# The registry's columns, as the university's tables hold them (and in this order in its digest).
REGISTRY_COLUMNS: dict[str, Any] = {
    "pinfl": Student.pinfl,
    "student_id": Student.id,
    "status": Student.status,
    "education_type": AcademicGroup.education_type,
    "course": AcademicGroup.course,
    "changed_at": Student.updated_at,
}


def _registry_query(*selected: Any) -> Any:
    """`selected` over the registry's rows: every student with a PINFL, with their group."""
    return (
        select(*selected)
        .join(AcademicGroup, AcademicGroup.id == Student.group_id)
        .where(Student.pinfl.is_not(None))
    )


async def registry(session: AsyncSession, today: date) -> dict[str, list[Any]]:
    """One row per student with a PINFL, as columns: read as arrays, one row for the whole
    university, so no Python object is made per student (1.45 million in the country)."""
    query = _registry_query(*(func.array_agg(c).label(k) for k, c in REGISTRY_COLUMNS.items()))
    row = (await session.execute(query)).one()
    return {k: list(v) for k, v in row._mapping.items()} if row[0] is not None else {}


def registry_digest(
    role: Any, pinfl: Any, student_id: Any, status: Any, education_type: Any, course: Any, changed_at: Any
) -> Any:
    """An aggregate naming a set of registry rows: equal on both sides, the national rows need
    no rewrite (most rounds change a few students, or none; a university has tens of thousands).
    The role too: rows written under an earlier role prefix are rewritten, or RLS hides them.

    The count and the sum of the rows' 64-bit hashes, a multiset hash: no sort and no long
    string (a third cheaper than an md5 of the rows in order). A changed row changes its hash,
    so an accidental match is a 2^-64 chance per changed set of rows."""
    epoch = func.extract("epoch", changed_at)  # not its text: that follows the session's TimeZone
    row = func.concat_ws("|", role, pinfl, student_id, status, education_type, course, epoch)
    hashes = func.coalesce(func.sum(cast(func.hashtextextended(row, 0), Numeric)), 0)
    return func.concat(func.count(), ":", hashes)


async def registry_digests(session: AsyncSession, code: str, role: str) -> tuple[str, str]:
    """The digest of the rows registry() reads (in the same snapshot), written under `role`, and
    of the university's rows in the national registry (its own: row-level security), in one
    round trip. Equal, the registry's rows need neither reading nor writing."""
    kept = StudentRegistry
    national = select(registry_digest(kept.tenant_role, *(getattr(kept, name) for name in REGISTRY_COLUMNS)))
    own = _registry_query(registry_digest(literal(role), *REGISTRY_COLUMNS.values()))
    row = (
        await session.execute(
            select(own.scalar_subquery(), national.where(kept.tenant_code == code).scalar_subquery())
        )
    ).one()
    return str(row[0]), str(row[1])


@lru_cache(maxsize=4)  # one a day
def _performance_query(today: date) -> Any:
    """ResultService's cohort sums of the students' kept results, as of the running study year."""
    kept = cohort_performance_query().subquery("kept")
    return select(literal(academic_year_of(today)).label("academic_year"), *kept.c)


@lru_cache(maxsize=4)  # one a day
def _attendance_query(today: date) -> Any:
    """Classroom hours of the running semester up to `today`: each subject's hours times the share
    of its theory weeks begun (the curriculum's week calendar; fixed dates where it has none),
    for every studying student taking it, and the hours they missed (absences are refused for
    future days, so every one recorded counts).

    Summed without pairing each student with each subject (a third of a million pairs in a
    large university): a curriculum's mandatory subjects are planned once per curriculum and
    semester and multiplied by the students counted per curriculum, term and cohort, electives by
    the choices counted per line, and the hours missed come from the students' kept results
    (hemis.results.models.StudentPerformance)."""
    offset = running_semester_offset(today)
    autumn = offset == 0
    course_year = cast(AcademicGroup.course, Integer) - 10
    semester = cast(10 + 2 * course_year - 1 + offset, Numeric)
    scope = (
        select(
            Student.id.label("student_id"),
            AcademicGroup.curriculum_id,
            AcademicGroup.education_form,
            AcademicGroup.course,
            semester.label("semester"),
        )
        .join(AcademicGroup, AcademicGroup.id == Student.group_id)
        .where(Student.status == STUDYING, AcademicGroup.curriculum_id.is_not(None))
        .cte("scope")
    )
    theory = CurriculumWeek.week_type == THEORY_WEEK
    weeks = (
        select(
            CurriculumWeek.curriculum_id,
            CurriculumWeek.semester,
            (
                cast(
                    func.count().filter(theory, CurriculumWeek.start_date <= cast(literal(today), Date)),
                    Numeric,
                )
                / func.nullif(func.count().filter(theory), 0)
            ).label("share"),
        )
        .group_by(CurriculumWeek.curriculum_id, CurriculumWeek.semester)
        .cte("weeks")
    )
    share = func.coalesce(weeks.c.share, fallback_share(today))
    line = CurriculumSubject
    planned_line = (
        select(
            line.id.label("line_id"),
            line.curriculum_id,
            cast(line.semester, Numeric).label("semester"),
            (line.subject_type == ELECTIVE).label("elective"),
            func.round(line.classroom_hours * share).label("planned"),
        )
        .outerjoin(weeks, (weeks.c.curriculum_id == line.curriculum_id) & (weeks.c.semester == line.semester))
        # Only the running half of the year's semesters (h_semester 11, 13 … in autumn): the
        # others meet no student's term below, and their electives' choices need not be counted.
        .where(cast(line.semester, Integer) % 2 == (1 if autumn else 0))
        .cte("planned_line")
    )
    mandatory = (
        select(
            planned_line.c.curriculum_id,
            planned_line.c.semester,
            func.sum(planned_line.c.planned).label("planned"),
        )
        .where(planned_line.c.elective.is_(False))
        .group_by(planned_line.c.curriculum_id, planned_line.c.semester)
        .cte("mandatory")
    )
    cohort = (scope.c.education_form, scope.c.course)
    term = (scope.c.curriculum_id, scope.c.semester)
    # Students counted per curriculum, term and cohort, with the hours they missed as their kept
    # results hold them for the running semester (kept current by the performance refresh that
    # runs before the families), and elective choices per line too: each planned line then meets
    # a count, not every student who takes it.
    kept = StudentPerformance
    missed, excused = (
        (kept.missed_autumn, kept.excused_autumn) if autumn else (kept.missed_spring, kept.excused_spring)
    )
    counted = (
        select(
            *term,
            *cohort,
            func.count().label("students"),
            func.coalesce(func.sum(missed), 0).label("missed"),
            func.coalesce(func.sum(excused), 0).label("excused"),
        )
        .select_from(scope.outerjoin(kept, kept.student_id == scope.c.student_id))
        .group_by(*term, *cohort)
        .cte("counted")
    )

    def same_term(part: Any, planned: Any) -> Any:
        return (part.c.curriculum_id == planned.c.curriculum_id) & (part.c.semester == planned.c.semester)

    # Choices of the running term's electives only (a student's earlier semesters' are most of them).
    elective_line = planned_line.alias("elective_line")
    choices = (
        select(
            ElectiveChoice.curriculum_subject_id.label("line_id"),
            *term,
            *cohort,
            func.count().label("students"),
        )
        .join(
            elective_line,
            (elective_line.c.line_id == ElectiveChoice.curriculum_subject_id)
            & elective_line.c.elective.is_(True),
        )
        .join(scope, (scope.c.student_id == ElectiveChoice.student_id) & same_term(scope, elective_line))
        .group_by(ElectiveChoice.curriculum_subject_id, *term, *cohort)
        .subquery("choices")
    )

    zero = literal(0)
    parts = [
        select(
            counted.c.education_form,
            counted.c.course,
            func.sum(mandatory.c.planned * counted.c.students).label("planned"),
            zero.label("missed"),
            zero.label("excused"),
        )
        .join(mandatory, same_term(counted, mandatory))
        .group_by(counted.c.education_form, counted.c.course),
        select(
            choices.c.education_form,
            choices.c.course,
            func.sum(planned_line.c.planned * choices.c.students),
            zero,
            zero,
        )
        .join(
            planned_line,
            (planned_line.c.line_id == choices.c.line_id)
            & same_term(choices, planned_line)
            & planned_line.c.elective.is_(True),
        )
        .group_by(choices.c.education_form, choices.c.course),
        select(
            counted.c.education_form,
            counted.c.course,
            zero,
            func.sum(counted.c.missed),
            func.sum(counted.c.excused),
        ).group_by(counted.c.education_form, counted.c.course),
    ]
    hours = union_all(*parts).subquery("hours")
    return select(
        literal(academic_year_of(today)).label("academic_year"),
        hours.c.education_form,
        hours.c.course,
        func.coalesce(func.sum(hours.c.planned), 0).label("planned_hours"),
        func.coalesce(func.sum(hours.c.missed), 0).label("missed_hours"),
        func.coalesce(func.sum(hours.c.excused), 0).label("excused_hours"),
    ).group_by(hours.c.education_form, hours.c.course)


@cache
def _finance_query() -> Any:
    """Contracts per academic year (cancelled ones keep what was paid on them). Money per
    academic year summed over the ledger directly (a few groups), and each contract's balance,
    for what is still owed, in a grouping of its own with one sum: seven sums per contract
    (17,000 contracts in a large university) cost twice the whole query."""
    entry = LedgerEntry
    online = entry.provider.in_(ELECTRONIC_PROVIDERS)
    money = (
        select(
            Contract.academic_year,
            # A cancellation writes off what a charge left after discounts: billed is net of it.
            func.sum(entry.amount).filter(entry.kind.in_(("charge", "cancellation"))).label("billed"),
            func.sum(entry.amount).filter(entry.kind == "discount").label("discount"),
            func.sum(entry.amount).filter(entry.kind.in_(("payment", "refund"))).label("paid"),
            func.sum(entry.amount).filter(entry.kind.in_(("payment", "refund")), online).label("online"),
            func.count().filter(entry.kind == "payment").label("payments"),
            func.count().filter(entry.kind == "payment", online).label("payments_online"),
        )
        .join(Contract, Contract.id == entry.contract_id)
        .group_by(Contract.academic_year)
        .subquery("money")
    )
    balance = (
        select(entry.contract_id, func.sum(entry.amount).label("balance"))
        .group_by(entry.contract_id)
        .subquery("balance")
    )
    active = Contract.status == "active"
    owed = (
        select(
            Contract.academic_year,
            func.count().filter(active).label("contracts"),
            func.coalesce(func.sum(balance.c.balance).filter(active, balance.c.balance > 0), 0).label("debt"),
            func.count().filter(active, balance.c.balance > 0).label("debtors"),
        )
        .outerjoin(balance, balance.c.contract_id == Contract.id)
        .group_by(Contract.academic_year)
        .subquery("owed")
    )
    return select(
        owed.c.academic_year,
        owed.c.contracts,
        func.coalesce(money.c.billed, 0).label("billed"),
        (-func.coalesce(money.c.discount, 0)).label("discounts"),
        (-func.coalesce(money.c.paid, 0)).label("paid"),
        (-func.coalesce(money.c.online, 0)).label("paid_online"),
        func.coalesce(money.c.payments, 0).label("payments"),
        func.coalesce(money.c.payments_online, 0).label("payments_online"),
        owed.c.debt,
        owed.c.debtors,
    ).outerjoin(money, money.c.academic_year == owed.c.academic_year)


@cache
def _stipends_query() -> Any:
    return (
        select(
            StipendRun.month,
            func.count(func.distinct(StipendLine.student_id))
            .filter(StipendLine.amount_tiyin > 0)
            .label("students"),
            func.coalesce(func.sum(StipendLine.amount_tiyin), 0).label("total"),
        )
        .join(StipendLine, StipendLine.run_id == StipendRun.id)
        .where(StipendRun.status == "approved")
        .group_by(StipendRun.month)
    )


@cache
def _staff_query() -> Any:
    teaches = exists().where(TeachingAssignment.employee_id == Employee.id)
    e_course = exists().where(
        TeachingAssignment.employee_id == Employee.id, TeachingAssignment.e_course_url.is_not(None)
    )
    dims = (
        Employee.position,
        Employee.academic_degree,
        Employee.academic_rank,
        Employee.gender,
        Employee.employment_form,
    )
    return (
        select(
            *dims,
            func.count().label("employees"),
            func.sum(Employee.rate).label("rate_sum"),
            func.count().filter(teaches).label("teachers"),
            func.count().filter(e_course).label("with_e_course"),
        )
        .where(Employee.active.is_(True))
        .group_by(*dims)
    )


@cache
def _structure_query() -> Any:
    """Groups and specialities by education type, departments by structure type, auditoriums by
    type: each a (kind, code, count) row, in one round trip."""
    counted: list[tuple[str, Any, Any]] = [
        ("groups", AcademicGroup.education_type, AcademicGroup.active.is_(True)),
        ("specialities", Specialty.education_type, literal(True)),
        ("departments", Department.structure_type, Department.active.is_(True)),
        ("auditoriums", Auditorium.auditorium_type, Auditorium.active.is_(True)),
    ]
    parts = [
        select(literal(kind).label("kind"), code.label("code"), func.count().label("count"))
        .where(condition)
        .group_by(code)
        for kind, code, condition in counted
    ]
    return union_all(*parts)


# Age bands by their first year of age: students' as HEMIS's stat-student cuts them, employees' by
# decade. A band is named "18-20", the first "-17", the last "31-" (reporting.age.<name> in i18n).
STUDENT_AGE_BANDS = (18, 21, 24, 27, 31)
EMPLOYEE_AGE_BANDS = (30, 40, 50, 60)


def age_band_names(bounds: tuple[int, ...]) -> list[str]:
    """The bands' names, youngest first."""
    return [f"-{bounds[0] - 1}"] + [f"{lo}-{hi - 1}" for lo, hi in pairwise(bounds)] + [f"{bounds[-1]}-"]


def years_before(today: date, years: int) -> date:
    """The same day `years` earlier (28 February for a 29th with no leap year then)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_band(birth_date: Any, today: date, bounds: tuple[int, ...]) -> Any:
    """The band of a person born on `birth_date`, in whole years on `today`: younger than N
    means born after the same day N years ago, a comparison with a constant rather than an
    age() for every row."""
    names = age_band_names(bounds)
    return case(
        *(
            (birth_date > years_before(today, bound), name)
            for bound, name in zip(bounds, names, strict=False)
        ),
        else_=names[-1],
    )


@lru_cache(maxsize=4)  # one a day
def _demography_query(today: date) -> Any:
    """Studying students by age band, accommodation, education type and gender, and active
    employees by age band and gender, in one round trip."""
    student_band = age_band(Student.birth_date, today, STUDENT_AGE_BANDS)
    accommodation = func.coalesce(Student.accommodation, "")
    students = (
        select(
            literal("student").label("kind"),
            student_band.label("age_band"),
            accommodation.label("accommodation"),
            AcademicGroup.education_type.label("education_type"),
            Student.gender.label("gender"),
            func.count().label("count"),
        )
        .join(AcademicGroup, AcademicGroup.id == Student.group_id)
        .where(Student.status == STUDYING)
        .group_by(student_band, accommodation, AcademicGroup.education_type, Student.gender)
    )
    employee_band = age_band(Employee.birth_date, today, EMPLOYEE_AGE_BANDS)
    employees = (
        select(literal("employee"), employee_band, literal(""), literal(""), Employee.gender, func.count())
        .where(Employee.active.is_(True))
        .group_by(employee_band, Employee.gender)
    )
    return union_all(students, employees)


# The families whose rows are one statement over the university's tables, its columns named as
# their national table's (TABLES): in the read snapshot they are compared with the rows stored
# nationally (unchanged) and fetched only where they differ.
QUERIES: dict[str, Callable[[date], Any]] = {
    "contingent": lambda today: _contingent_query(),
    "performance": _performance_query,
    "attendance": _attendance_query,
    "finance": lambda today: _finance_query(),
    "stipends": lambda today: _stipends_query(),
    "staff": lambda today: _staff_query(),
    "structure": lambda today: _structure_query(),
    "demography": _demography_query,
}
# Statements over a whole term's marks or students, run with whole_term_plan's settings.
WHOLE_TERM = frozenset({"attendance"})
TABLES: dict[str, Any] = {
    "contingent": Contingent,
    "registry": StudentRegistry,
    "performance": Performance,
    "attendance": Attendance,
    "finance": Finance,
    "stipends": Stipend,
    "staff": Staff,
    "structure": Structure,
    "demography": Demography,
}


@lru_cache(maxsize=32)  # a family a day
def typed_query(family: str, today: date) -> Any:
    """The family's statement with each column cast to its national column's type, so its rows
    compare with the stored ones and arrive as the table's values (an int for a bigint sum)."""
    query = QUERIES[family](today)
    names = list(query.selected_columns.keys())
    rows = query.subquery("family")
    table = table_of(TABLES[family])
    return select(*(cast(rows.c[name], table.c[name].type).label(name) for name in names))


@lru_cache(maxsize=32)
def _changes_statement(family: str, today: date) -> Any:
    """The family's rows when they differ (as multisets: EXCEPT ALL, NULLs equal) from the rows
    the university's role sees of it nationally (its own, and only under its current role);
    otherwise one row saying they do not. Each row leads with `differs` and `present` (false on
    the row that only carries the verdict). The family's statement runs once either way: a
    CTE named more than once is computed once, where comparing and then fetching ran it twice
    for every changed family (on a new day, attendance and ages for every university)."""
    query = typed_query(family, today)
    table = table_of(TABLES[family])
    names = query.selected_columns.keys()
    stored = select(*(table.c[name] for name in names)).where(
        table.c.tenant_code == bindparam("code", type_=String())
    )
    mine = query.cte("mine")
    changed = union_all(select(mine).except_all(stored), stored.except_all(select(mine))).subquery("changed")
    verdict = select(exists(select(literal(1)).select_from(changed)).label("differs")).subquery("verdict")
    rows = select(literal(True).label("present"), mine).subquery("rows")
    return select(verdict.c.differs, rows).select_from(verdict.outerjoin(rows, verdict.c.differs))


def _planned(session: AsyncSession, family: str) -> AbstractAsyncContextManager[None]:
    """The planner settings a family's statement runs with (WHOLE_TERM's, or the transaction's)."""
    return whole_term_plan(session) if family in WHOLE_TERM else nullcontext()


async def changes(session: AsyncSession, family: str, code: str, today: date) -> dict[str, list[Any]] | None:
    """The rows of a family of QUERIES (as `fetch`) when they differ from what university `code`
    has nationally; None when they are the same, so nothing of them needs to travel, neither here
    nor to the national write."""
    async with _planned(session, family):
        result = await session.execute(_changes_statement(family, today), {"code": code})
    rows = result.all()
    if not rows[0].differs:
        return None
    names = list(typed_query(family, today).selected_columns.keys())
    return _columns(names, [row[2:] for row in rows if row.present])


async def fetch(session: AsyncSession, family: str, today: date) -> dict[str, list[Any]]:
    """The rows of a family of QUERIES, as columns typed like its national table's."""
    async with _planned(session, family):
        return columns_of(await session.execute(typed_query(family, today)))


@cache
def _kpi_extras_query() -> Any:
    """One row: the studying students' counts, the active employees' and the marks', each an
    aggregate of its own table joined on nothing (one row each), so one round trip."""
    studying = Student.status == STUDYING
    students = select(
        func.count().filter(studying).label("students"),
        func.count()
        .filter(studying, or_(Student.pinfl.is_not(None), Student.citizenship != CITIZEN))
        .label("with_pinfl"),
        func.count().filter(studying, Student.region_code.is_not(None)).label("with_region"),
        func.count().filter(studying, Student.passport != "").label("with_passport"),
        func.count().filter(studying, Student.phone != "").label("with_phone"),
    ).subquery("students")
    # A join, not EXISTS per student: that is a subplan run for every row, whose estimated cost
    # alone switched JIT compilation on (50 ms for a large university).
    access = (
        select(func.count(func.distinct(UserAccount.student_id)).label("with_access"))
        .join(Student, Student.id == UserAccount.student_id)
        .where(UserAccount.active.is_(True), studying)
        .subquery("access")
    )
    employees = (
        select(
            func.count().label("employees"),
            func.count().filter(Employee.pinfl.is_not(None)).label("employees_with_pinfl"),
            func.count().filter(or_(Employee.phone != "", Employee.email != "")).label("with_contact"),
        )
        .where(Employee.active.is_(True))
        .subquery("employees")
    )
    # Marks of studying students' current and previous study year (each attempt); on time =
    # entered before the sheet locked. Summed from the students' kept results, which the
    # performance family has just brought up to date: scanning every mark took longer than
    # all the other figures together.
    kept = StudentPerformance
    marks = (
        select(
            func.coalesce(func.sum(kept.marks), 0).label("marks"),
            func.coalesce(func.sum(kept.marks_on_time), 0).label("on_time"),
        )
        .join(Student, Student.id == kept.student_id)
        .where(studying)
        .subquery("marks")
    )
    return select(students, access, employees, marks).select_from(
        students.join(access, literal(True)).join(employees, literal(True)).join(marks, literal(True))
    )


async def kpi_extras(session: AsyncSession, today: date) -> dict[str, int]:
    """What the KPIs read beyond the families: how complete the records the statistical report
    is made of are, how many marks went in on time, and how many students can see their own."""
    row = (await session.execute(_kpi_extras_query())).one()
    students = int(row.students)
    filled = row.with_pinfl + row.with_region + row.with_passport + row.with_phone
    return {
        "students": students,
        "report_fields": 4 * students + 2 * int(row.employees),
        "report_fields_filled": int(filled + row.employees_with_pinfl + row.with_contact),
        "students_with_access": int(row.with_access),
        "marks": int(row.marks),
        "marks_on_time": int(row.on_time),
    }
