"""A university's grading scales: validated borders, per-curriculum choice, maxima that follow the
scale, groups tied to a curriculum of their faculty, and isolation between universities."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.isolation import assert_isolated

T = "/t/alpha/api/v1"


def scale_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "code": f"SC{uuid.uuid4().hex[:8]}",
        "name": "Kredit shkalasi (qat'iy)",
        "marking_system": "13",
        "max_points": "100",
        "min_excellent": "92",
        "min_good": "75",
        "min_satisfactory": "60",
        "pass_points": "60",
        "final_attempts": 2,
        "gpa_limit": "2.4",
    }
    return body | overrides


async def _curriculum(
    client: httpx.AsyncClient, admin: dict[str, str], faculty_id: int, **overrides: Any
) -> httpx.Response:
    specialty = await client.post(
        f"{T}/specialties",
        json={"code": f"S{uuid.uuid4().hex[:8]}", "name": "Kompyuter injiniringi", "education_type": "11"},
        headers=admin,
    )
    body = {
        "name": "KI 2025",
        "specialty_id": specialty.json()["id"],
        "department_id": faculty_id,
        "education_form": "11",
        "marking_system": "13",
        "admission_year": 2025,
        "semester_count": 8,
    }
    return await client.post(f"{T}/curricula", json=body | overrides, headers=admin)


async def _line(
    client: httpx.AsyncClient, admin: dict[str, str], curriculum_id: int, maxima: tuple[str, str, str]
) -> httpx.Response:
    subject = await client.post(
        f"{T}/subjects", json={"code": f"M{uuid.uuid4().hex[:8]}", "name": "Fizika"}, headers=admin
    )
    return await client.post(
        f"{T}/curricula/{curriculum_id}/subjects",
        json={
            "subject_id": subject.json()["id"],
            "semester": "11",
            "subject_type": "11",
            "subject_block": "11.02",
            "credit": "4",
            "max_current": maxima[0],
            "max_midterm": maxima[1],
            "max_final": maxima[2],
        },
        headers=admin,
    )


class TestScaleRules:
    async def test_create_and_read(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        created = await client.post(f"{T}/grading/scales", json=scale_body(), headers=admin)
        assert created.status_code == 201, created.text
        got = (await client.get(f"{T}/grading/scales/{created.json()['id']}", headers=admin)).json()
        assert (got["min_excellent"], got["gpa_limit"], got["is_default"]) == ("92.00", "2.4", False)

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"min_good": "92"}, "min_excellent"),  # grade 5 must start above grade 4
            ({"min_good": "59"}, "min_good"),  # grade 4 must start above grade 3
            ({"min_satisfactory": "0"}, "min_satisfactory"),
            ({"min_excellent": "101"}, "min_excellent"),
            ({"max_points": "90", "min_excellent": "95"}, "min_excellent"),
            ({"pass_points": "0"}, "pass_points"),
            ({"pass_points": "100.5"}, "pass_points"),
            ({"min_good": "75.555"}, "min_good"),
            ({"min_good": "NaN"}, "min_good"),
            ({"gpa_limit": None}, "gpa_limit"),  # the credit system moves students on by GPA
            ({"gpa_limit": "5.1"}, "gpa_limit"),
            ({"final_attempts": 0}, "final_attempts"),
            ({"marking_system": "99"}, "marking_system"),
            ({"code": "a b"}, "code"),
        ],
    )
    async def test_bad_scales_are_refused_naming_the_field(
        self, client: httpx.AsyncClient, admin: dict[str, str], overrides: dict[str, Any], field: str
    ) -> None:
        response = await client.post(f"{T}/grading/scales", json=scale_body(**overrides), headers=admin)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field or field in response.text

    async def test_teachers_cannot_write_scales(
        self, client: httpx.AsyncClient, token_for: TokenFactory
    ) -> None:
        teacher = await token_for("alpha", Role.TEACHER)
        response = await client.post(f"{T}/grading/scales", json=scale_body(), headers=teacher)
        assert response.status_code == 403

    async def test_isolated_between_universities(
        self, client: httpx.AsyncClient, admin: dict[str, str], token_for: TokenFactory
    ) -> None:
        row = (await client.post(f"{T}/grading/scales", json=scale_body(), headers=admin)).json()
        await assert_isolated(
            client,
            "/api/v1/grading/scales",
            row,
            owner=("alpha", admin),
            other=("beta", await token_for("beta", Role.REGISTRAR)),
            patch={"name": "O'zgartirilgan"},
            search=row["code"],
        )


class TestCurriculumScale:
    async def test_maxima_follow_the_curriculum_scale(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        five = await client.post(
            f"{T}/grading/scales",
            json=scale_body(
                marking_system="12",
                max_points="5",
                min_excellent="4.6",
                min_good="3.6",
                min_satisfactory="2.6",
                pass_points="2.6",
                gpa_limit=None,
            ),
            headers=admin,
        )
        assert five.status_code == 201, five.text
        curriculum = await _curriculum(
            client, admin, group["department_id"], marking_system="12", grading_scale_id=five.json()["id"]
        )
        assert curriculum.status_code == 201, curriculum.text
        # The JN/ON/YN maxima add up to the scale's maximum (5), not to 100.
        wrong = await _line(client, admin, curriculum.json()["id"], ("30", "20", "50"))
        assert wrong.status_code == 422 and wrong.json()["field"] == "max_current"
        right = await _line(client, admin, curriculum.json()["id"], ("1.5", "1", "2.5"))
        assert right.status_code == 201, right.text
        # The scale's maximum is now in use: changing it would break the curriculum's maxima.
        changed = await client.patch(
            f"{T}/grading/scales/{five.json()['id']}", json={"max_points": "10"}, headers=admin
        )
        assert changed.status_code == 409 and changed.json()["field"] == "max_points"
        # Borders may still move: they are policy, not structure.
        moved = await client.patch(
            f"{T}/grading/scales/{five.json()['id']}", json={"min_excellent": "4.5"}, headers=admin
        )
        assert moved.status_code == 200, moved.text

    async def test_a_scale_of_another_marking_system_is_refused(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        credit = (await client.post(f"{T}/grading/scales", json=scale_body(), headers=admin)).json()
        response = await _curriculum(
            client, admin, group["department_id"], marking_system="11", grading_scale_id=credit["id"]
        )
        assert response.status_code == 422 and response.json()["field"] == "grading_scale_id"
        missing = await _curriculum(client, admin, group["department_id"], grading_scale_id=99_999_999)
        assert missing.status_code == 422 and missing.json()["field"] == "grading_scale_id"

    async def test_switching_to_a_scale_with_another_maximum_is_refused(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        curriculum = (await _curriculum(client, admin, group["department_id"], marking_system="11")).json()
        assert (await _line(client, admin, curriculum["id"], ("30", "20", "50"))).status_code == 201
        small = await client.post(
            f"{T}/grading/scales",
            json=scale_body(
                marking_system="11",
                max_points="50",
                min_excellent="43",
                min_good="36",
                min_satisfactory="28",
                pass_points="28",
                gpa_limit=None,
            ),
            headers=admin,
        )
        assert small.status_code == 201, small.text
        response = await client.patch(
            f"{T}/curricula/{curriculum['id']}", json={"grading_scale_id": small.json()["id"]}, headers=admin
        )
        assert response.status_code == 409 and response.json()["field"] == "grading_scale_id"
        same_max = (
            await client.post(
                f"{T}/grading/scales", json=scale_body(marking_system="11", gpa_limit=None), headers=admin
            )
        ).json()
        response = await client.patch(
            f"{T}/curricula/{curriculum['id']}", json={"grading_scale_id": same_max["id"]}, headers=admin
        )
        assert response.status_code == 200 and response.json()["grading_scale_id"] == same_max["id"]

    async def test_one_default_per_marking_system(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        # Marking system 11 with the built-in maximum: other tests' curricula stay valid.
        first = await client.post(
            f"{T}/grading/scales", json=scale_body(marking_system="11", is_default=True), headers=admin
        )
        assert first.status_code == 201, first.text
        second = await client.post(
            f"{T}/grading/scales", json=scale_body(marking_system="11", is_default=True), headers=admin
        )
        assert second.status_code == 409 and second.json()["field"] == "is_default"

    async def test_a_new_default_may_not_move_the_maximum_under_curricula(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        # A credit curriculum without its own scale follows the credit default (100 points).
        assert (await _curriculum(client, admin, group["department_id"])).status_code == 201
        fifty = scale_body(
            max_points="50",
            min_excellent="45",
            min_good="35",
            min_satisfactory="30",
            pass_points="30",
            is_default=True,
        )
        response = await client.post(f"{T}/grading/scales", json=fifty, headers=admin)
        assert response.status_code == 409 and response.json()["field"] == "is_default"


class TestGroupCurriculum:
    async def test_group_takes_a_curriculum_of_its_faculty_only(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        own = (await _curriculum(client, admin, group["department_id"])).json()
        other_faculty = await client.post(
            f"{T}/structure/departments",
            json={
                "code": f"F{uuid.uuid4().hex[:8]}",
                "name": "Iqtisodiyot fakulteti",
                "structure_type": "11",
            },
            headers=admin,
        )
        foreign = (await _curriculum(client, admin, other_faculty.json()["id"])).json()
        refused = await client.patch(
            f"{T}/groups/{group['id']}", json={"curriculum_id": foreign["id"]}, headers=admin
        )
        assert refused.status_code == 422 and refused.json()["field"] == "curriculum_id"
        taken = await client.patch(
            f"{T}/groups/{group['id']}", json={"curriculum_id": own["id"]}, headers=admin
        )
        assert taken.status_code == 200 and taken.json()["curriculum_id"] == own["id"]

    async def test_sheets_only_for_subjects_of_the_group_curriculum(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        own = (await _curriculum(client, admin, group["department_id"])).json()
        other = (await _curriculum(client, admin, group["department_id"])).json()
        await client.patch(f"{T}/groups/{group['id']}", json={"curriculum_id": own["id"]}, headers=admin)
        inside = (await _line(client, admin, own["id"], ("30", "20", "50"))).json()
        outside = (await _line(client, admin, other["id"], ("30", "20", "50"))).json()
        for line, status in ((outside, 422), (inside, 201)):
            response = await client.post(
                f"{T}/grading/sheets",
                json={
                    "curriculum_subject_id": line["id"],
                    "group_id": group["id"],
                    "control_type": "JN",
                    "held_on": date.today().isoformat(),
                },
                headers=admin,
            )
            assert response.status_code == status, response.text
            if status == 422:
                assert response.json()["field"] == "curriculum_subject_id"
