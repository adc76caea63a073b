"""Statistics without signing in: the country's on the ministry's host (/api/v1/public/statistics)
and each university's own in HEMIS's shapes (/rest/v1/public/stat-*): counts only, never a
person; each host its own figures; answers kept a few seconds; names in the asked language."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from hemis.app import HemisApp
from tests.reporting.conftest import enrol
from tests.reporting.test_national import female, studying
from tests.staff.test_controller import employee_body
from tests.students.conftest import pinfl

P = "/t/national/api/v1/public/statistics"


def counts(body: dict[str, Any], dimension: str) -> dict[str, int]:
    return {c["code"]: c["count"] for c in body["by"][dimension]}


class TestCountry:
    async def test_students_by_each_dimension_are_the_universities_own_counts(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        admin: dict[str, str],
        group: dict[str, Any],
        beta_registrar: dict[str, str],
        beta_group: dict[str, Any],
    ) -> None:
        await recompute()
        before = (await client.get(f"{P}/students")).json()
        made = [
            await enrol(client, "alpha", group, admin, payment_form="11", region_code="1730", **female()),
            await enrol(client, "beta", beta_group, beta_registrar, citizenship="12", pinfl=None),
        ]
        await recompute()
        response = await client.get(f"{P}/students")
        assert response.status_code == 200, response.text
        after = response.json()
        expected = await studying(client, "alpha", admin) + await studying(client, "beta", beta_registrar)
        assert after["total"] == expected == before["total"] + 2
        for dimension in after["by"]:
            assert sum(counts(after, dimension).values()) == after["total"], dimension
        assert counts(after, "gender").get("12", 0) - counts(before, "gender").get("12", 0) == 1
        assert counts(after, "region").get("1730", 0) - counts(before, "region").get("1730", 0) == 1
        assert counts(after, "citizenship").get("12", 0) - counts(before, "citizenship").get("12", 0) == 1
        # Aggregates only: nothing that names or identifies a student.
        text = response.text
        for student in made:
            for personal in ("pinfl", "student_id_number", "last_name"):
                if student.get(personal):
                    assert str(student[personal]) not in text
        assert {tuple(sorted(c)) for d in after["by"].values() for c in d} == {("code", "count", "name")}

    async def test_employees_by_degree_and_rank(
        self, client: httpx.AsyncClient, recompute: Any, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        await recompute()
        before = (await client.get(f"{P}/employees")).json()
        body = employee_body(group["department_id"], academic_degree="12", academic_rank="12")
        hired = await client.post("/t/alpha/api/v1/employees", json=body, headers=admin)
        assert hired.status_code == 201, hired.text
        await recompute()
        after = (await client.get(f"{P}/employees")).json()
        assert after["total"] == before["total"] + 1
        assert (
            counts(after, "academic_degree").get("12", 0)
            == counts(before, "academic_degree").get("12", 0) + 1
        )
        assert counts(after, "academic_rank").get("12", 0) == counts(before, "academic_rank").get("12", 0) + 1
        assert body["last_name"] not in json.dumps(after)

    async def test_universities_with_their_students_and_the_kpi_by_region(
        self, client: httpx.AsyncClient, recompute: Any, admin: dict[str, str], beta_registrar: dict[str, str]
    ) -> None:
        await recompute()
        listed = {u["code"]: u for u in (await client.get(f"{P}/universities")).json()["items"]}
        assert listed["alpha"]["students"] == await studying(client, "alpha", admin)
        assert listed["beta"]["students"] == await studying(client, "beta", beta_registrar)
        kpi = (await client.get(f"{P}/kpi")).json()
        assert {line["level"] for line in kpi["items"]} == {"region", "country"}  # no university's line

    async def test_only_on_the_ministrys_host(self, client: httpx.AsyncClient) -> None:
        for path in ("/students", "/employees", "/universities", "/kpi", "/kpi/export"):
            assert (await client.get(f"/t/alpha/api/v1/public/statistics{path}")).status_code == 404

    async def test_answers_are_kept_until_the_figures_change(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        worker: Any,
        app: HemisApp,
        admin: dict[str, str],
        group: dict[str, Any],
    ) -> None:
        cache = app.litestar.state.figures_cache
        await recompute()
        first = (await client.get(f"{P}/students")).json()
        kept = dict(cache._items)
        assert any(key[0] == "national" for key in kept)
        assert (await client.get(f"{P}/students")).json() == first
        assert dict(cache._items) == kept  # the same answers, nothing computed again
        await enrol(client, "alpha", group, admin)
        assert (await client.get(f"{P}/students")).json()["total"] == first["total"]  # not rolled up yet
        await worker.recompute()  # a newer version of the figures: the kept answers no longer fit
        assert (await client.get(f"{P}/students")).json()["total"] == first["total"] + 1

    @pytest.mark.parametrize(("language", "bachelor"), [("ru", "Бакалавриат"), ("en", "Bachelor's degree")])
    async def test_names_in_the_asked_language(
        self, client: httpx.AsyncClient, recompute: Any, language: str, bachelor: str
    ) -> None:
        await recompute()
        body = (await client.get(f"{P}/students", params={"l": language})).json()
        assert counts(body, "education_type")
        assert {c["name"] for c in body["by"]["education_type"] if c["code"] == "11"} == {bachelor}


class TestHemisStatistics:
    async def test_stat_student_counts_this_university_only(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        admin: dict[str, str],
        group: dict[str, Any],
        beta_registrar: dict[str, str],
        beta_group: dict[str, Any],
    ) -> None:
        await enrol(client, "alpha", group, admin)
        await recompute()
        response = await client.get("/t/alpha/rest/v1/public/stat-student")
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["success"], body["error"], body["code"]) == (True, None, 200)
        data = body["data"]
        own = await studying(client, "alpha", admin)
        assert sum(data["education_type"]["Jami"].values()) == own
        assert sum(v for genders in data["education_type"].values() for v in genders.values()) == 2 * own
        level = sum(
            n for courses in data["level"].values() for forms in courses.values() for n in forms.values()
        )
        assert level == own
        # beta's new student changes nothing at alpha.
        await enrol(client, "beta", beta_group, beta_registrar)
        await recompute()
        again = (await client.get("/t/alpha/rest/v1/public/stat-student")).json()["data"]
        assert again == data
        beta = (await client.get("/t/beta/rest/v1/public/stat-student")).json()["data"]
        assert sum(beta["education_type"]["Jami"].values()) == await studying(client, "beta", beta_registrar)

    async def test_names_follow_hemis_l(self, client: httpx.AsyncClient, recompute: Any) -> None:
        await recompute()
        data = (await client.get("/t/alpha/rest/v1/public/stat-student", params={"l": "en-US"})).json()[
            "data"
        ]
        assert "Total" in data["education_type"] and "Bachelor's degree" in data["education_type"]
        ru = (await client.get("/t/alpha/rest/v1/public/stat-student", params={"l": "ru-RU"})).json()["data"]
        assert "Итого" in ru["education_type"]

    async def test_stat_employee_shape(
        self, client: httpx.AsyncClient, recompute: Any, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        hired = await client.post(
            "/t/alpha/api/v1/employees", json=employee_body(group["department_id"]), headers=admin
        )
        assert hired.status_code == 201
        await recompute()
        data = (await client.get("/t/alpha/rest/v1/public/stat-employee")).json()["data"]
        assert set(data) >= {"position", "gender", "academic_degree", "academic_rank", "employment_form"}
        listed = await client.get("/t/alpha/api/v1/employees", params={"limit": 1}, headers=admin)
        assert sum(data["gender"].values()) == listed.json()["total"]
        assert data["academic_degree"]["Falsafa doktori (PhD)"]["Ayol"] >= 1

    async def test_age_and_accommodation_of_students_and_employees(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        admin: dict[str, str],
        group: dict[str, Any],
    ) -> None:
        async def stat(path: str, code: str = "alpha", language: str = "uz") -> dict[str, Any]:
            response = await client.get(f"/t/{code}/rest/v1/public/{path}", params={"l": language})
            assert response.status_code == 200, response.text
            return dict(response.json()["data"])

        def total(tree: dict[str, dict[str, int]]) -> int:
            return sum(n for inner in tree.values() for n in inner.values())

        await recompute()
        before, beta_before = await stat("stat-student"), await stat("stat-student", "beta")
        today = date.today()
        forty = today.replace(year=today.year - 40, day=min(today.day, 28))  # 40 years old today
        await enrol(
            client,
            "alpha",
            group,
            admin,
            birth_date=forty.isoformat(),
            pinfl=pinfl(forty),
            accommodation="15",
        )
        await recompute()
        after = await stat("stat-student")
        own = await studying(client, "alpha", admin)
        assert total(after["age"]) == total(after["accommodation"]) == own
        bachelor = "Bakalavriat"  # the group's education type (h_education_type 11)
        oldest = "31 yosh va undan katta"
        assert after["age"][oldest][bachelor] == before["age"].get(oldest, {}).get(bachelor, 0) + 1
        dormitory = "Talabalar turar joyida (TTJ)"
        assert (
            after["accommodation"][dormitory][bachelor]
            == before["accommodation"].get(dormitory, {}).get(bachelor, 0) + 1
        )
        assert await stat("stat-student", "beta") == beta_before  # alpha's student is not beta's
        russian = await stat("stat-student", language="ru")
        assert russian["age"]["31 лет и старше"]["Бакалавриат"] == after["age"][oldest][bachelor]
        assert "В общежитии (ТТЖ)" in russian["accommodation"]
        employees = await stat("stat-employee")
        listed = await client.get(
            "/t/alpha/api/v1/employees", params={"active": "true", "limit": 1}, headers=admin
        )
        assert total(employees["age"]) == listed.json()["total"]
        assert set(employees["age"]) <= {
            "30 yoshgacha",
            "30–39 yosh",
            "40–49 yosh",
            "50–59 yosh",
            "60 yosh va undan katta",
        }

    async def test_stat_structure_counts_this_university_only(
        self, client: httpx.AsyncClient, recompute: Any, admin: dict[str, str]
    ) -> None:
        async def structure(code: str, language: str = "uz") -> dict[str, dict[str, int]]:
            response = await client.get(f"/t/{code}/rest/v1/public/stat-structure", params={"l": language})
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["success"], body["code"]) == (True, 200)
            return {kind: {i["name"]: i["count"] for i in items} for kind, items in body["data"].items()}

        await recompute()
        before, beta_before = await structure("alpha"), await structure("beta")
        building = await client.post(
            "/t/alpha/api/v1/structure/buildings",
            json={"name": f"Bino {uuid.uuid4().hex[:6]}", "address": "Toshkent"},
            headers=admin,
        )
        assert building.status_code == 201, building.text
        for _ in range(2):
            room = await client.post(
                "/t/alpha/api/v1/structure/auditoriums",
                json={
                    "code": f"L{uuid.uuid4().hex[:8]}",
                    "name": "Ma'ruza zali",
                    "building_id": building.json()["id"],
                    "auditorium_type": "lecture",
                    "capacity": 100,
                },
                headers=admin,
            )
            assert room.status_code == 201, room.text
        await recompute()
        after = await structure("alpha")
        assert set(after) == {"groups", "auditoriums", "specialities", "departments"}
        assert (
            after["auditoriums"].get("Ma'ruza xonasi", 0)
            == before["auditoriums"].get("Ma'ruza xonasi", 0) + 2
        )
        departments = await client.get(
            "/t/alpha/api/v1/structure/departments", params={"active": "true", "limit": 1}, headers=admin
        )
        assert sum(after["departments"].values()) == departments.json()["total"]
        assert await structure("beta") == beta_before  # alpha's rooms are not beta's
        english = await structure("alpha", "en")
        assert english["auditoriums"]["Lecture room"] == after["auditoriums"]["Ma'ruza xonasi"]
        assert (await structure("alpha", "ru"))["auditoriums"]["Лекционная аудитория"] >= 2

    async def test_not_on_the_ministrys_host(self, client: httpx.AsyncClient) -> None:
        for path in ("stat-student", "stat-employee", "stat-structure"):
            assert (await client.get(f"/t/national/rest/v1/public/{path}")).status_code == 404
