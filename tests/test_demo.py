"""`hemis demo` content: the demo universities exist with their structure, reachable by host."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.access.service import ApiTokenService
from hemis.app import HemisApp
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.core.listing import ListParams
from hemis.demo import install_demo
from hemis.finance.demo import seed_finance
from hemis.platform import create_tenant, drop_tenant, tenant_ref
from hemis.portal.demo import DEMO_PASSWORD
from hemis.structure.models import StructureType
from hemis.structure.service import DepartmentService
from hemis.term_demo import TermSize, seed_term
from tenants.provision import TenantSpec
from tenants.session import tenant_session
from tenants.testing import run_as_tenant

SMALL = TermSize(groups_per_course=1, students_per_group=4, teachers_per_kafedra=2)


class TestInstallDemo:
    async def test_creates_universities_with_structure_once(
        self,
        owner: AsyncEngine,
        settings: Settings,
        maker: async_sessionmaker[AsyncSession],
        app: HemisApp,
        client: httpx.AsyncClient,
    ) -> None:
        created, existing = await install_demo(owner, settings, SMALL)
        try:
            assert set(created) == {"tatu", "samdu"}  # "national" already exists in the test database
            assert "national" in existing
            assert (await install_demo(owner, settings, SMALL))[0] == []  # a second run creates nothing

            app.resolver.invalidate()
            profile = await client.get("/api/v1/institution?l=en", headers={"Host": "tatu.localhost"})
            assert profile.json()["name"].startswith("Tashkent University of Information Technologies")

            async with tenant_session(maker, await tenant_ref(owner, "samdu")) as session:
                faculties, total = await DepartmentService(session, actor="test").page(
                    ListParams(limit=50, offset=0, sort=None, search=None),
                    structure_type=StructureType.FACULTY,
                    parent_id=None,
                    active=True,
                )
            assert total == 4
            assert "Matematika fakulteti" in {f.name for f in faculties}

            # The portal's demo accounts sign in with the printed password and land on their pages.
            landing = {"talaba": "/t/tatu/portal/", "ota-ona": "/t/tatu/portal/children"}
            landing |= {"oqituvchi": "/t/tatu/portal/teacher", "registrator": "/t/tatu/portal/timetable"}
            for username, page in landing.items():
                client.cookies.clear()
                form = {"username": username, "password": DEMO_PASSWORD}
                signed = await client.post("/t/tatu/portal/login", data=form)
                assert signed.status_code == 303, (username, signed.text)
                home = await client.get("/t/tatu/portal/", follow_redirects=True)
                assert home.status_code == 200 and home.url.path.startswith(page), (username, home.url)
            client.cookies.clear()
        finally:
            for code in created:
                await drop_tenant(owner, settings, code)
            app.resolver.invalidate()


class TestDemoTerm:
    """The generated term obeys the rules the services enforce, and the API reads it."""

    async def test_term_data_is_valid_and_readable(
        self,
        owner: AsyncEngine,
        settings: Settings,
        maker: async_sessionmaker[AsyncSession],
        app: HemisApp,
        client: httpx.AsyncClient,
        app_db: AsyncEngine,
    ) -> None:
        spec = TenantSpec(code="demoterm", name_uz="Demo universiteti")
        ref = await create_tenant(owner, settings, spec)
        try:
            async with tenant_session(maker, ref) as session:
                counts = await seed_term(
                    session, seed=7, size=TermSize(groups_per_course=2, students_per_group=6)
                )
                await session.commit()
            assert (counts.students, counts.groups) == (48, 8)
            async with tenant_session(maker, ref) as session:
                money = await seed_finance(session, seed=7)
                await session.commit()
            assert money.fee_structures == 4 and money.contracts > 0 and money.payments > 0
            assert counts.marks > 0 and counts.absences > 0
            violations = await run_as_tenant(app_db, settings.tenancy.role_prefix, "demoterm", DEMO_RULES)
            assert [tuple(v) for v in violations] == [(0, 0, 0, 0)], (
                "demo data breaks a rule the services enforce"
            )

            app.resolver.invalidate()
            async with tenant_session(maker, ref) as session:
                _, secret = await ApiTokenService(session=session).issue("tests", {Role.ADMIN}, by="tests")
                await session.commit()
            headers = {"Authorization": f"Bearer {secret}"}
            url = "/t/demoterm/api/v1/results"
            rating = await client.get(f"{url}/rating", params={"year": 1, "limit": 5}, headers=headers)
            assert rating.status_code == 200, rating.text
            assert rating.json()["total"] == counts.students  # every studying student is ranked
            best = rating.json()["items"][0]
            assert best["rank"] == 1 and best["gpa"] is not None
            year = await client.get(f"{url}/students/{best['student_id']}/years/1", headers=headers)
            assert year.json()["gpa"] == best["gpa"]
            verify = await client.get("/t/demoterm/api/v1/grading/history/verify", headers=headers)
            assert verify.json()["intact"] is True
            fee_payers = await client.get(
                "/t/demoterm/api/v1/students", params={"payment_form": "12", "status": "11"}, headers=headers
            )
            contracts = await client.get("/t/demoterm/api/v1/finance/contracts", headers=headers)
            assert contracts.json()["total"] == fee_payers.json()["total"] == money.contracts
            debtors = await client.get("/t/demoterm/api/v1/finance/debtors", headers=headers)
            assert debtors.status_code == 200 and debtors.json()["total"] > 0
        finally:
            await drop_tenant(owner, settings, "demoterm")
            app.resolver.invalidate()


# One row of counts of rule breaks: marks above their control's maximum, marks of students who
# do not take the subject, finals of students barred by absences, two electives in one block.
DEMO_RULES = """
SELECT
  (SELECT count(*) FROM mark m JOIN mark_sheet s ON s.id = m.sheet_id
     JOIN curriculum_subject c ON c.id = s.curriculum_subject_id
   WHERE m.points > CASE s.control_type WHEN 'JN' THEN c.max_current WHEN 'ON' THEN c.max_midterm
                                        ELSE c.max_final END),
  (SELECT count(*) FROM mark m JOIN mark_sheet s ON s.id = m.sheet_id
     JOIN curriculum_subject c ON c.id = s.curriculum_subject_id
     JOIN student st ON st.id = m.student_id JOIN academic_group g ON g.id = st.group_id
   WHERE c.curriculum_id <> g.curriculum_id
      OR (c.subject_type = '12' AND NOT EXISTS (SELECT 1 FROM elective_choice e
            WHERE e.student_id = m.student_id AND e.curriculum_subject_id = c.id))),
  (SELECT count(*) FROM mark m JOIN mark_sheet s ON s.id = m.sheet_id AND s.control_type = 'YN'
     JOIN curriculum_subject c ON c.id = s.curriculum_subject_id
   WHERE (SELECT coalesce(sum(a.hours) FILTER (WHERE a.excuse_document IS NULL), 0) FROM absence a
          WHERE a.student_id = m.student_id AND a.curriculum_subject_id = c.id)
         >= 0.25 * (c.lecture_hours + c.practice_hours + c.laboratory_hours + c.seminar_hours)),
  (SELECT count(*) FROM (SELECT e.student_id FROM elective_choice e
     JOIN curriculum_subject c ON c.id = e.curriculum_subject_id
   GROUP BY e.student_id, c.semester, c.subject_block HAVING count(*) > 1) twice)
"""
