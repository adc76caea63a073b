"""bench.national_data at a tiny scale: the generated data obeys the rules the services check,
has the distributions it is configured with, and the app's own services read it."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from bench.national_data import NationalDataset, NationalParams, national_dataset
from bench.national_data.load import load_connection
from bench.national_data.plan import plan_universities, university_sizes
from bench.national_data.vocabulary import REGION_CODES
from hemis.classifiers.service import load_data
from hemis.platform import tenant_ref
from hemis.results.service import ResultService
from hemis.students.rules import pinfl_problem
from tenants import naming, testing
from tenants.database import app_engine, owner_engine
from tenants.session import make_sessionmaker, tenant_session
from tenants.testing import recreate_database, worker_database
from tests.conftest import _base_url

PARAMS = NationalParams(tenants=2, students=300, marks=40, seed=7)


@pytest.fixture(scope="module")
async def natdb() -> AsyncIterator[testing.TestDatabase]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    db = worker_database(_base_url(), worker=f"{worker}_natdata")
    yield db
    await recreate_database(db, create=False)


@pytest.fixture(scope="module")
async def dataset(natdb: testing.TestDatabase) -> NationalDataset:
    return await national_dataset(PARAMS, parallel=1, db=natdb)


@pytest.fixture(scope="module")
async def conn(dataset: NationalDataset) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(dataset.url)  # the owner: reads every schema
    yield connection
    await connection.close()


def tables(code: str) -> dict[str, str]:
    """What {t} names in the queries below: the university's schema."""
    return {"t": naming.quote(naming.schema_name(code))}


async def each(conn: asyncpg.Connection, codes: tuple[str, ...], sql: str) -> list[Any]:
    """`sql` (naming tables as {t}.name) run in every university, the first column of each row."""
    found = []
    for code in codes:
        found += [row[0] for row in await conn.fetch(sql.format(**tables(code)))]
    return found


class TestSizes:
    def test_sizes_add_up_exactly_and_are_skewed(self) -> None:
        sizes = university_sizes(random.Random(1), 225, 1_450_000)
        assert sum(sizes) == 1_450_000
        assert max(sizes) <= 35_000 and sum(s >= 25_000 for s in sizes) >= 2
        assert sum(2_000 <= s <= 6_000 for s in sizes) > len(sizes) / 3

    def test_regions_are_h_soato_regions_and_tashkent_has_the_most(self) -> None:
        soato = next(c for c in load_data()["classifiers"] if c["code"] == "h_soato")
        regions = {i["code"] for i in soato["items"] if i.get("extra", {}).get("level") == "region"}
        assert set(REGION_CODES) <= regions
        plans = plan_universities(NationalParams())
        by_region = Counter(p.region for p in plans)
        assert by_region.most_common(1)[0][0] == "1726" and len(by_region) == len(REGION_CODES)


class TestConsistency:
    async def test_counts(self, dataset: NationalDataset, conn: asyncpg.Connection) -> None:
        assert dataset.codes == ("u001", "u002") and not dataset.reused
        students = await each(conn, dataset.codes, "SELECT count(*) FROM {t}.student")
        assert sum(students) == PARAMS.students == dataset.counts["student"]
        marks = sum(await each(conn, dataset.codes, "SELECT count(*) FROM {t}.mark"))
        assert marks == dataset.counts["mark"] and 30 <= marks / PARAMS.students <= 50
        profiles = await each(conn, dataset.codes, "SELECT region_code FROM {t}.institution_profile")
        assert set(profiles) <= set(REGION_CODES)
        kind = await conn.fetchval("SELECT kind FROM t_national.institution_profile")
        assert kind == "national"

    async def test_every_mark_is_of_a_student_of_the_sheets_group_within_the_maximum(
        self, dataset: NationalDataset, conn: asyncpg.Connection
    ) -> None:
        wrong = await each(
            conn,
            dataset.codes,
            "SELECT count(*) FROM {t}.mark m JOIN {t}.mark_sheet sh ON sh.id = m.sheet_id "
            "JOIN {t}.student s ON s.id = m.student_id JOIN {t}.academic_group g ON g.id = sh.group_id "
            "JOIN {t}.curriculum_subject cs ON cs.id = sh.curriculum_subject_id "
            "WHERE s.group_id <> sh.group_id OR cs.curriculum_id <> g.curriculum_id OR m.points < 0 "
            "OR m.points > CASE sh.control_type WHEN 'JN' THEN cs.max_current WHEN 'ON' THEN cs.max_midterm "
            "ELSE cs.max_final END",
        )
        assert wrong == [0, 0]

    async def test_electives_are_marked_only_for_who_chose_them_and_maxima_add_up(
        self, dataset: NationalDataset, conn: asyncpg.Connection
    ) -> None:
        unchosen = await each(
            conn,
            dataset.codes,
            "SELECT count(*) FROM {t}.mark m JOIN {t}.mark_sheet sh ON sh.id = m.sheet_id "
            "JOIN {t}.curriculum_subject cs ON cs.id = sh.curriculum_subject_id WHERE cs.subject_type = '12' "
            "AND NOT EXISTS (SELECT 1 FROM {t}.elective_choice e WHERE e.student_id = m.student_id "
            "AND e.curriculum_subject_id = cs.id)",
        )
        assert unchosen == [0, 0]
        sums = await each(
            conn,
            dataset.codes,
            "SELECT DISTINCT max_current + max_midterm + max_final FROM {t}.curriculum_subject",
        )
        assert set(sums) == {Decimal(100)}
        credits = await each(
            conn,
            dataset.codes,
            "SELECT DISTINCT sum(credit) FILTER (WHERE subject_type = '11') + coalesce(max(credit) FILTER "
            "(WHERE subject_type = '12'), 0) FROM {t}.curriculum_subject GROUP BY curriculum_id, semester",
        )
        assert set(credits) == {Decimal(30)}

    async def test_retakes_only_for_those_below_the_pass_mark(
        self, dataset: NationalDataset, conn: asyncpg.Connection
    ) -> None:
        passed_before = await each(
            conn,
            dataset.codes,
            "SELECT count(*) FROM {t}.mark r JOIN {t}.mark_sheet rs ON rs.id = r.sheet_id AND rs.attempt > 1 "
            "WHERE (SELECT sum(m.points) FROM {t}.mark m JOIN {t}.mark_sheet s ON s.id = m.sheet_id "
            "WHERE m.student_id = r.student_id AND s.curriculum_subject_id = rs.curriculum_subject_id "
            "AND s.attempt = 1) >= 60",
        )
        assert passed_before == [0, 0]

    async def test_pinfls_are_well_formed_and_unique_but_for_dual_enrolment_and_transfers(
        self, dataset: NationalDataset, conn: asyncpg.Connection
    ) -> None:
        rows = []
        for code in dataset.codes:
            rows += [
                (code, *r)
                for r in await conn.fetch(
                    "SELECT pinfl, status, citizenship FROM {t}.student".format(**tables(code))
                )
            ]
        assert all(pinfl_problem(p) is None for _, p, _, c in rows if p is not None)
        assert all((p is None) == (c != "11") for _, p, _, c in rows)  # citizens have one
        by_pinfl: dict[str, list[tuple[str, str]]] = {}
        for code, pinfl, status, _ in rows:
            if pinfl:
                by_pinfl.setdefault(pinfl, []).append((code, status))
        shared = {p: sorted(s for _, s in places) for p, places in by_pinfl.items() if len(places) > 1}
        assert all(len({c for c, _ in by_pinfl[p]}) == 2 for p in shared)  # two universities, never one
        kinds = Counter(tuple(statuses) for statuses in shared.values())
        assert kinds == {("11", "11"): dataset.counts["dual_enrolled_persons"], ("11", "12"): 2}
        assert dataset.counts["transferred_persons"] == 2 and kinds[("11", "11")] >= 2

    async def test_distributions(self, dataset: NationalDataset, conn: asyncpg.Connection) -> None:
        rows = []
        for code in dataset.codes:
            rows += await conn.fetch(
                "SELECT s.status, s.payment_form, s.gender, s.region_code, g.course, g.education_type, "
                "p.region_code AS own FROM {t}.student s JOIN {t}.academic_group g ON g.id = s.group_id "
                "CROSS JOIN {t}.institution_profile p".format(**tables(code))
            )

        def share(test: Callable[[Any], bool]) -> float:
            return sum(map(test, rows)) / len(rows)

        assert share(lambda r: r["status"] == "11") > 0.85
        assert 0.1 < share(lambda r: r["payment_form"] == "11") < 0.5
        assert 0.25 < share(lambda r: r["gender"] == "12") < 0.75
        assert share(lambda r: r["region_code"] == r["own"]) > 0.3
        assert share(lambda r: r["education_type"] == "11") > 0.75
        courses = Counter(r["course"] for r in rows if r["education_type"] == "11" and r["status"] == "11")
        assert courses["11"] > courses["14"] > 0

    async def test_money_adds_up(self, dataset: NationalDataset, conn: asyncpg.Connection) -> None:
        wrong = await each(
            conn,
            dataset.codes,
            "SELECT count(*) FROM {t}.contract c WHERE c.amount <> (SELECT sum(amount) FROM {t}.ledger_entry l "
            "WHERE l.contract_id = c.id AND kind = 'charge') OR c.amount + (SELECT coalesce(sum(amount), 0) "
            "FROM {t}.ledger_entry l WHERE l.contract_id = c.id AND kind = 'discount') <> (SELECT sum(amount) "
            "FROM {t}.contract_instalment i WHERE i.contract_id = c.id)",
        )
        assert wrong == [0, 0]
        providers = Counter(
            await each(conn, dataset.codes, "SELECT provider FROM {t}.ledger_entry WHERE kind = 'payment'")
        )
        assert providers["payme"] and providers["bank"] and None not in providers
        not_studying = await each(
            conn,
            dataset.codes,
            "SELECT count(*) FROM {t}.contract c JOIN {t}.student s ON s.id = c.student_id "
            "WHERE s.status <> '11' OR s.payment_form <> '12'",
        )
        assert not_studying == [0, 0]

    async def test_identity_sequences_continue_after_the_data(
        self, dataset: NationalDataset, conn: asyncpg.Connection
    ) -> None:
        for table in ("mark", "absence", "student", "ledger_entry", "contract"):
            behind = await each(
                conn,
                dataset.codes,
                f"SELECT pg_sequence_last_value(pg_get_serial_sequence('{{t}}.{table}', 'id')::regclass) < max(id) "
                f"FROM {{t}}.{table}",
            )
            assert behind == [False, False], table

    async def test_e_courses_and_degrees_vary(
        self, dataset: NationalDataset, conn: asyncpg.Connection
    ) -> None:
        urls = await each(
            conn,
            dataset.codes,
            "SELECT count(*) FILTER (WHERE e_course_url IS NOT NULL) FROM {t}.teaching_assignment",
        )
        degrees = await each(conn, dataset.codes, "SELECT DISTINCT academic_degree FROM {t}.employee")
        assert all(urls) and {"10", "11"} <= set(degrees)


class TestTheAppReadsIt:
    async def test_rating_of_a_group(self, dataset: NationalDataset, conn: asyncpg.Connection) -> None:
        group = await conn.fetchval(
            "SELECT g.id FROM t_u001.academic_group g JOIN t_u001.student s ON s.group_id = g.id "
            "WHERE g.course = '12' AND g.education_type = '11' GROUP BY g.id ORDER BY count(*) DESC LIMIT 1"
        )
        owner = owner_engine(dataset.settings)
        engine = app_engine(dataset.settings)
        try:
            ref = await tenant_ref(owner, "u001")
            async with tenant_session(
                make_sessionmaker(engine, dataset.settings.tenancy.role_prefix), ref
            ) as s:
                rows, total = await ResultService(s, actor="test").rating(
                    1, group_id=group, faculty_id=None, course=None, limit=50, offset=0
                )
        finally:
            await owner.dispose()
            await engine.dispose()
        assert total == len(rows) > 0
        assert any(row.gpa is not None for row in rows)  # last spring's finals are in


class TestReuse:
    async def test_a_completed_build_is_kept(
        self, dataset: NationalDataset, natdb: testing.TestDatabase
    ) -> None:
        again = await national_dataset(PARAMS, parallel=1, db=natdb, reuse=True)
        assert again.reused and again.codes == dataset.codes and again.counts == dataset.counts

    async def test_from_another_checkout_the_builds_roles_are_used(
        self, dataset: NationalDataset, natdb: testing.TestDatabase
    ) -> None:
        elsewhere = natdb.settings.model_copy(deep=True)
        elsewhere.tenancy.role_prefix = "htelsewhere_"
        again = await national_dataset(
            PARAMS, parallel=1, db=testing.TestDatabase(elsewhere, natdb.admin_url), reuse=True
        )
        assert again.reused and again.settings.tenancy.role_prefix == natdb.settings.tenancy.role_prefix


async def test_numerics_and_times_reach_the_database_as_written(dataset: NationalDataset) -> None:
    conn = await load_connection(dataset.url)
    try:
        await conn.execute("CREATE TEMP TABLE probe (n numeric, d date)")
        values = [Decimal(v) for v in ("0", "3", "0.25", "36.000", "100", "12345.678", "-5.5", "0.0001")]
        await conn.copy_records_to_table("probe", records=[(v, date(2026, 12, 1)) for v in values])
        back = await conn.fetch("SELECT n::text AS n, d::text AS d FROM probe")
    finally:
        await conn.close()
    assert [Decimal(r["n"]) for r in back] == values and {r["d"] for r in back} == {"2026-12-01"}
    assert json.loads(json.dumps(PARAMS.as_json()))["today"] == "2026-12-01"
