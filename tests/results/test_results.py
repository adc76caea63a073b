"""Results through the API: totals and grades from the latest attempts, debts, bars, year GPA,
moving on, retakes for debtors only, ratings that agree with the per-student answers, isolation."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.results.service import ResultService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.results.conftest import Term

T = "/t/alpha/api/v1"


async def results(
    term: Term, student: dict[str, Any], semester: str | None = None
) -> dict[str, dict[str, Any]]:
    params = {"semester": semester} if semester else {}
    response = await term.client.get(
        f"{T}/results/students/{student['id']}", params=params, headers=term.headers
    )
    assert response.status_code == 200, response.text
    by_line = {item["curriculum_subject_id"]: item for item in response.json()["items"]}
    return {key: by_line[line["id"]] for key, line in term.lines.items() if line["id"] in by_line}


async def year(term: Term, student: dict[str, Any], number: int = 1) -> dict[str, Any]:
    response = await term.client.get(
        f"{T}/results/students/{student['id']}/years/{number}", headers=term.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestStudentResults:
    async def test_totals_grades_letters_and_gpa(self, term: Term) -> None:
        good, weak = await term.student(), await term.student()
        await term.marks(good, "A", "28", "18", "45")  # 91 → 5, A+
        await term.marks(good, "B", "20", "15", "30")  # 65 → 3, C
        await term.marks(weak, "A", "10", "10", "20")  # 40 → 2: a debt
        await term.marks(weak, "B", "25", "15", "40")  # 80 → 4, B

        mine = await results(term, good)
        assert (mine["A"]["total"], mine["A"]["grade"], mine["A"]["letter"], mine["A"]["status"]) == (
            "91.00",
            5,
            "A+",
            "passed",
        )
        assert (mine["B"]["grade"], mine["B"]["letter"]) == (3, "C")
        assert mine["C"]["status"] == "pending" and mine["C"]["grade"] is None
        assert "E1" not in mine and "E2" not in mine  # electives count only once chosen
        assert set(await results(term, good, "12")) == {"C"}

        assert await year(term, good) == {
            "student_id": good["id"],
            "year": 1,
            "gpa": "4.2",  # (6×5 + 4×3) / 10
            "credits": "15.0",
            "earned_credits": "10.0",
            "debts": 0,
            "pending": 1,  # C of semester 2
            "can_move_on": True,  # the credit system moves on by GPA ≥ 2.4
        }
        weak_year = await year(term, weak)
        assert (weak_year["gpa"], weak_year["debts"], weak_year["can_move_on"]) == ("2.8", 1, True)

    async def test_a_retake_replaces_the_final_for_debtors_only(self, term: Term) -> None:
        good, weak = await term.student(), await term.student()
        await term.marks(good, "A", "28", "18", "45")
        await term.marks(weak, "A", "10", "10", "20")
        refused = await term.mark(good, "A", "YN", "50", attempt=2)
        assert refused.status_code == 409 and refused.json()["field"] == "student_id"
        retake = await term.mark(weak, "A", "YN", "45", attempt=2)
        assert retake.status_code == 201, retake.text
        a = (await results(term, weak))["A"]
        assert (a["final"], a["total"], a["grade"], a["status"], a["final_attempts"]) == (
            "45.00",
            "65.00",
            3,
            "passed",
            2,
        )

    async def test_retake_sheets_follow_the_scale_and_the_order(self, term: Term) -> None:
        async def open_sheet(control: str, attempt: int) -> httpx.Response:
            return await term.client.post(
                f"{T}/grading/sheets",
                json={
                    "curriculum_subject_id": term.lines["B"]["id"],
                    "group_id": term.group["id"],
                    "control_type": control,
                    "attempt": attempt,
                    "held_on": date.today().isoformat(),
                },
                headers=term.headers,
            )

        no_first = await open_sheet("YN", 2)  # attempt 2 before attempt 1
        assert no_first.status_code == 422 and no_first.json()["field"] == "attempt"
        await term.sheet("B", "YN")
        midterm_retake = await open_sheet("ON", 2)
        assert midterm_retake.status_code == 422 and midterm_retake.json()["field"] == "attempt"
        await term.sheet("B", "YN", 2)
        too_many = await open_sheet("YN", 3)  # the credit scale allows two sittings
        assert too_many.status_code == 422 and too_many.json()["field"] == "attempt"

    async def test_unexcused_absences_bar_the_final(self, term: Term) -> None:
        student = await term.student()
        await term.absent(student, "A", 8)  # 16 of 60 classroom hours: over 25 %
        assert (await term.mark(student, "A", "JN", "20")).status_code == 201  # current marks still go in
        barred = await term.mark(student, "A", "YN", "40")
        assert barred.status_code == 409 and barred.json()["field"] == "student_id"
        a = (await results(term, student))["A"]
        assert (a["status"], a["unexcused_share"]) == ("barred", "0.2667")
        assert (await year(term, student))["debts"] == 1

    async def test_teachers_cannot_open_finals(self, term: Term, token_for: TokenFactory) -> None:
        teacher = await token_for("alpha", Role.TEACHER)
        response = await term.client.post(
            f"{T}/grading/sheets",
            json={
                "curriculum_subject_id": term.lines["A"]["id"],
                "group_id": term.group["id"],
                "control_type": "YN",
                "held_on": date.today().isoformat(),
            },
            headers=teacher,
        )
        assert response.status_code == 403

    async def test_a_group_without_curriculum_has_no_results_yet(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        from tests.students.conftest import student_body

        student = (await client.post(f"{T}/students", json=student_body(group), headers=admin)).json()
        response = await client.get(f"{T}/results/students/{student['id']}", headers=admin)
        assert response.json() == {"student_id": student["id"], "marking_system": None, "items": []}
        assert (await client.get(f"{T}/results/students/99999999", headers=admin)).status_code == 404


class TestElectives:
    async def test_choose_one_per_block_and_keep_marked_choices(self, term: Term) -> None:
        student = await term.student()
        url = f"{T}/students/{student['id']}/electives"
        chosen = await term.client.post(
            url, json={"curriculum_subject_id": term.lines["E1"]["id"]}, headers=term.headers
        )
        assert chosen.status_code == 201, chosen.text
        assert "E1" in await results(term, student)
        again = await term.client.post(
            url, json={"curriculum_subject_id": term.lines["E1"]["id"]}, headers=term.headers
        )
        assert again.status_code == 409 and again.json()["field"] == "curriculum_subject_id"
        other = await term.client.post(
            url, json={"curriculum_subject_id": term.lines["E2"]["id"]}, headers=term.headers
        )
        assert other.status_code == 409 and other.json()["field"] == "curriculum_subject_id"
        mandatory = await term.client.post(
            url, json={"curriculum_subject_id": term.lines["A"]["id"]}, headers=term.headers
        )
        assert mandatory.status_code == 422 and mandatory.json()["field"] == "curriculum_subject_id"

        assert (await term.mark(student, "E1", "JN", "25")).status_code == 201
        kept = await term.client.delete(f"{url}/{chosen.json()['id']}", headers=term.headers)
        assert kept.status_code == 409
        assert [
            c["curriculum_subject_id"] for c in (await term.client.get(url, headers=term.headers)).json()
        ] == [term.lines["E1"]["id"]]

    async def test_dropping_an_unmarked_choice_frees_the_block(self, term: Term) -> None:
        student = await term.student()
        url = f"{T}/students/{student['id']}/electives"
        chosen = (
            await term.client.post(
                url, json={"curriculum_subject_id": term.lines["E1"]["id"]}, headers=term.headers
            )
        ).json()
        assert (await term.client.delete(f"{url}/{chosen['id']}", headers=term.headers)).status_code == 204
        switched = await term.client.post(
            url, json={"curriculum_subject_id": term.lines["E2"]["id"]}, headers=term.headers
        )
        assert switched.status_code == 201
        assert set(await results(term, student)) == {"A", "B", "E2", "C"}


class TestRating:
    async def test_rating_agrees_with_each_students_year(self, term: Term) -> None:
        rng = random.Random(20261125)
        students = [await term.student() for _ in range(8)]
        for student in students[:4]:  # electives count in the rating only for those who chose them
            chosen = await term.client.post(
                f"{T}/students/{student['id']}/electives",
                json={"curriculum_subject_id": term.lines["E1"]["id"]},
                headers=term.headers,
            )
            assert chosen.status_code == 201, chosen.text
        for student in students:
            for key in ("A", "B") if student in students[4:] else ("A", "B", "E1"):
                if rng.random() < 0.85:  # some finals are still to be marked
                    jn, on, yn = rng.randint(0, 30), rng.randint(0, 20), rng.randint(0, 50)
                    await term.marks(student, key, str(jn), str(on), str(yn))
        barred = await term.student()  # no final, too many absences: a debt in both answers
        await term.absent(barred, "C", 8)
        students.append(barred)
        response = await term.client.get(
            f"{T}/results/rating", params={"year": 1, "group_id": term.group["id"]}, headers=term.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == len(students)
        assert next(r for r in page["items"] if r["student_id"] == barred["id"])["debts"] == 1
        for row in page["items"]:
            own = await year(term, {"id": row["student_id"]})
            assert (row["gpa"], row["debts"]) == (own["gpa"], own["debts"]), row
        gpas = [Decimal(r["gpa"]) if r["gpa"] is not None else Decimal(-1) for r in page["items"]]
        assert gpas == sorted(gpas, reverse=True)
        ranks = [r["rank"] for r in page["items"]]
        assert ranks[0] == 1 and ranks == sorted(ranks)

    async def test_scopes_and_paging(self, term: Term) -> None:
        first, second = await term.student(), await term.student()
        await term.marks(first, "A", "30", "20", "50")
        await term.marks(second, "A", "20", "10", "35")
        faculty = await term.client.get(
            f"{T}/results/rating",
            params={"year": 1, "faculty_id": term.group["department_id"], "limit": 1},
            headers=term.headers,
        )
        body = faculty.json()
        assert (body["total"], [r["student_id"] for r in body["items"]]) == (2, [first["id"]])
        nxt = await term.client.get(
            f"{T}/results/rating",
            params={"year": 1, "faculty_id": term.group["department_id"], "limit": 1, "offset": 1},
            headers=term.headers,
        )
        assert [(r["student_id"], r["rank"]) for r in nxt.json()["items"]] == [(second["id"], 2)]
        university = (
            await term.client.get(
                f"{T}/results/rating", params={"year": 1, "limit": 200}, headers=term.headers
            )
        ).json()
        assert university["total"] >= 2
        if university["total"] <= 200:
            assert {first["id"], second["id"]} <= {r["student_id"] for r in university["items"]}
        bad = await term.client.get(f"{T}/results/rating", params={"year": 7}, headers=term.headers)
        assert bad.status_code == 422 and "year" in bad.text

    async def test_results_are_isolated_between_universities(
        self, term: Term, token_for: TokenFactory
    ) -> None:
        student = await term.student(last_name="Isolatsiyaov")
        await term.marks(student, "A", "30", "20", "50")
        beta = await token_for("beta", Role.REGISTRAR)
        theirs = await term.client.get(f"/t/beta/api/v1/results/students/{student['id']}", headers=beta)
        assert (
            theirs.status_code == 404
            or theirs.json()["items"]
            != (await term.client.get(f"{T}/results/students/{student['id']}", headers=term.headers)).json()[
                "items"
            ]
        )
        rating = (
            await term.client.get(
                "/t/beta/api/v1/results/rating", params={"year": 1, "limit": 200}, headers=beta
            )
        ).json()
        assert all(r["last_name"] != "Isolatsiyaov" for r in rating["items"])
        # The owner's token is worth nothing at the other university.
        assert (
            await term.client.get("/t/beta/api/v1/results/rating", params={"year": 1}, headers=term.headers)
        ).status_code == 401


class TestMembership:
    async def test_only_studying_students_taking_the_subject_get_marks_and_absences(self, term: Term) -> None:
        student, leaver = await term.student(), await term.student()
        not_chosen = await term.mark(student, "E1", "JN", "10")
        assert not_chosen.status_code == 422 and not_chosen.json()["code"] == "trajectory.not_taking"
        absence = await term.client.post(
            f"{T}/attendance/absences",
            json={
                "student_id": student["id"],
                "curriculum_subject_id": term.lines["E1"]["id"],
                "lesson_date": date.today().isoformat(),
                "lesson_pair": 2,
                "training_type": "11",
            },
            headers=term.headers,
        )
        assert absence.status_code == 422 and absence.json()["field"] == "student_id"
        expelled = await term.client.post(
            f"{T}/students/{leaver['id']}/status",
            json={"status": "12", "reason": "Buyruq 15-T"},
            headers=term.headers,
        )
        assert expelled.status_code == 201, expelled.text
        refused = await term.mark(leaver, "A", "JN", "10")
        assert refused.status_code == 409 and refused.json()["field"] == "student_id"
        assert (await term.mark(student, "A", "JN", "10")).status_code == 201

    async def test_a_maximum_cannot_drop_below_given_marks(self, term: Term) -> None:
        student = await term.student()
        assert (await term.mark(student, "A", "JN", "28")).status_code == 201
        url = f"{T}/curricula/{term.curriculum['id']}/subjects/{term.lines['A']['id']}"
        lowered = await term.client.patch(
            url, json={"max_current": "25", "max_final": "55"}, headers=term.headers
        )
        assert lowered.status_code == 409 and lowered.json()["field"] == "max_current"
        still_holds = await term.client.patch(
            url, json={"max_current": "28", "max_final": "52"}, headers=term.headers
        )
        assert still_holds.status_code == 200, still_holds.text


class TestSemesterMarks:
    async def test_every_mark_of_the_semester_with_attempts(self, term: Term) -> None:
        student = await term.student()
        await term.marks(student, "A", "10", "10", "20")
        assert (await term.mark(student, "A", "YN", "45", attempt=2)).status_code == 201
        await term.marks(student, "B", "25", "15", "40")
        url = f"{T}/results/students/{student['id']}/marks"
        rows = (await term.client.get(url, params={"semester": "11"}, headers=term.headers)).json()
        a = [
            (r["control_type"], r["attempt"], r["points"])
            for r in rows
            if r["curriculum_subject_id"] == term.lines["A"]["id"]
        ]
        assert a == [("JN", 1, "10.00"), ("ON", 1, "10.00"), ("YN", 1, "20.00"), ("YN", 2, "45.00")]
        assert len(rows) == 7
        assert (await term.client.get(url, params={"semester": "12"}, headers=term.headers)).json() == []
        bad = await term.client.get(url, params={"semester": "9"}, headers=term.headers)
        assert bad.status_code == 422 and "semester" in bad.text
        missing = await term.client.get(
            f"{T}/results/students/99999999/marks", params={"semester": "11"}, headers=term.headers
        )
        assert missing.status_code == 404


class TestElectiveIsolation:
    async def test_another_university_cannot_see_or_change_choices(
        self, term: Term, token_for: TokenFactory
    ) -> None:
        student = await term.student()
        url = f"{T}/students/{student['id']}/electives"
        chosen = (
            await term.client.post(
                url, json={"curriculum_subject_id": term.lines["E1"]["id"]}, headers=term.headers
            )
        ).json()
        beta = await token_for("beta", Role.REGISTRAR)
        theirs = f"/t/beta/api/v1/students/{student['id']}/electives"
        listed = await term.client.get(theirs, headers=beta)
        assert listed.status_code == 404 or chosen not in listed.json()
        assert (await term.client.delete(f"{theirs}/{chosen['id']}", headers=beta)).status_code == 404
        planted = await term.client.post(
            theirs, json={"curriculum_subject_id": term.lines["E2"]["id"]}, headers=beta
        )
        assert planted.status_code in (404, 422)  # no such student or line there
        mine = (await term.client.get(url, headers=term.headers)).json()
        assert [c["id"] for c in mine] == [chosen["id"]]
        # The owner's token is worth nothing at the other university.
        assert (await term.client.get(theirs, headers=term.headers)).status_code == 401


class TestSessionResults:
    async def test_one_statement_agrees_with_each_students_session(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        """What payrolls use (every student of many groups at once) gives each student's own answer."""
        rng = random.Random(20261201)
        students = [await term.student() for _ in range(6)]
        chosen = await term.client.post(
            f"{T}/students/{students[0]['id']}/electives",
            json={"curriculum_subject_id": term.lines["E1"]["id"]},
            headers=term.headers,
        )
        assert chosen.status_code == 201, chosen.text
        for student in [students[0], *students[2:]]:
            for key in ("A", "B", "E1") if student is students[0] else ("A", "B"):
                if rng.random() < 0.8:  # some finals are still to be marked
                    await term.marks(student, key, str(rng.randint(10, 30)), str(rng.randint(5, 20)), "45")
        await term.marks(students[1], "A", "30", "20", "50")
        await term.marks(students[1], "B", "10", "5", "20")  # a debt
        barred = await term.student()
        await term.absent(barred, "A", 8)
        students.append(barred)
        async with tenant_session(maker, tenants["alpha"]) as session:
            service = ResultService(session, actor="tests")
            many = await service.session_results({term.group["id"]: "11"})
            for student in students:
                assert many[student["id"]] == await service.session_result(student["id"], "11"), student
        assert many[barred["id"]].debts == 1
        assert many[students[1]["id"]].debts >= 1
        assert many[students[1]["id"]].lowest_grade == 2
