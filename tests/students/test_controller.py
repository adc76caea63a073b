"""Groups and students over HTTP: enrolment rules, named errors, personal data by role, status history."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.students.conftest import pinfl, student_body

T = "/t/alpha/api/v1"


class TestEnrol:
    async def test_enrols_as_studying_with_history(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        response = await client.post(f"{T}/students", json=student_body(group), headers=admin)
        assert response.status_code == 201, response.text
        student = response.json()
        assert student["status"] == "11"
        history = (await client.get(f"{T}/students/{student['id']}/status-history", headers=admin)).json()
        assert [(h["old_status"], h["new_status"]) for h in history] == [(None, "11")]

    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"pinfl": "5170506123456"}, "pinfl"),  # 13 digits
            ({"pinfl": "71705061234567"}, "pinfl"),
            ({"pinfl": "53205061234567"}, "pinfl"),
            ({"birth_date": "2006-05-18"}, "birth_date"),  # does not match the PINFL
            ({"gender": "12"}, "gender"),  # PINFL says male
            ({"gender": "99"}, "gender"),
            ({"payment_form": "13"}, "payment_form"),
            ({"group_id": 99_999_999}, "group_id"),
            ({"phone": "90 123 45 67"}, "phone"),
            ({"last_name": "Karimov2"}, "last_name"),
            ({"student_id_number": "12ab"}, "student_id_number"),
            ({"region_code": "9999"}, "region_code"),  # not an h_soato code
            ({"accommodation": "19"}, "accommodation"),  # not an h_accommodation code
        ],
    )
    async def test_bad_input_names_the_field_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        group: dict[str, Any],
        override: dict[str, Any],
        field: str,
    ) -> None:
        body = student_body(group, **override)
        response = await client.post(f"{T}/students?l=ru", json=body, headers=admin)
        assert response.status_code in (400, 422), response.text
        assert response.json()["field"] == field
        listed = (await client.get(f"{T}/students?search={body['student_id_number']}", headers=admin)).json()
        assert listed["total"] == 0

    async def test_home_region_is_kept_and_can_be_cleared(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        created = await client.post(
            f"{T}/students", json=student_body(group, region_code="1703"), headers=admin
        )
        assert created.status_code == 201, created.text
        assert created.json()["region_code"] == "1703"
        cleared = await client.patch(
            f"{T}/students/{created.json()['id']}", json={"region_code": None}, headers=admin
        )
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["region_code"] is None

    async def test_accommodation_is_kept_and_can_be_changed(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        created = await client.post(
            f"{T}/students", json=student_body(group, accommodation="15"), headers=admin
        )
        assert created.status_code == 201, created.text
        assert created.json()["accommodation"] == "15"
        moved = await client.patch(
            f"{T}/students/{created.json()['id']}", json={"accommodation": "14"}, headers=admin
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["accommodation"] == "14"
        refused = await client.patch(
            f"{T}/students/{created.json()['id']}", json={"accommodation": "16"}, headers=admin
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "accommodation"
        again = await client.get(f"{T}/students/{created.json()['id']}", headers=admin)
        assert again.json()["accommodation"] == "14"

    async def test_thirteen_digit_pinfl_message_in_russian(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        response = await client.post(
            f"{T}/students?l=ru", json=student_body(group, pinfl="5170506123456"), headers=admin
        )
        assert response.json()["detail"] == "ПИНФЛ должен состоять из 14 цифр («pinfl»)."

    async def test_same_pinfl_twice_is_409(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        first = student_body(group)
        assert (await client.post(f"{T}/students", json=first, headers=admin)).status_code == 201
        again = student_body(group, pinfl=first["pinfl"], birth_date=first["birth_date"])
        response = await client.post(f"{T}/students", json=again, headers=admin)
        assert response.status_code == 409
        assert response.json()["field"] == "pinfl"


class TestPersonalData:
    async def test_teacher_sees_no_personal_fields(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any], token_for: TokenFactory
    ) -> None:
        student = (await client.post(f"{T}/students", json=student_body(group), headers=admin)).json()
        assert student["pinfl"]
        teacher = await token_for("alpha", Role.TEACHER)
        seen = (await client.get(f"{T}/students/{student['id']}", headers=teacher)).json()
        assert seen["last_name"] == "Karimov"
        assert [seen[k] for k in ("pinfl", "birth_date", "passport", "phone", "email")] == [None] * 5
        listed = await client.get(f"{T}/students?group_id={group['id']}", headers=teacher)
        for secret in (student["pinfl"], student["passport"], student["phone"], student["email"]):
            assert secret not in listed.text

    async def test_students_cannot_list_students(
        self, client: httpx.AsyncClient, token_for: TokenFactory
    ) -> None:
        student_token = await token_for("alpha", Role.STUDENT)
        assert (await client.get(f"{T}/students", headers=student_token)).status_code == 403


class TestStatus:
    async def test_academic_leave_then_back(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        student = (await client.post(f"{T}/students", json=student_body(group), headers=admin)).json()
        leave = await client.post(
            f"{T}/students/{student['id']}/status",
            json={"status": "13", "reason": "Sog'lig'i sababli"},
            headers=admin,
        )
        assert leave.status_code == 201
        same = await client.post(
            f"{T}/students/{student['id']}/status", json={"status": "13", "reason": "Yana"}, headers=admin
        )
        assert same.status_code == 409
        await client.post(
            f"{T}/students/{student['id']}/status",
            json={"status": "11", "reason": "Qayta tiklandi"},
            headers=admin,
        )
        history = (await client.get(f"{T}/students/{student['id']}/status-history", headers=admin)).json()
        assert [h["new_status"] for h in history] == ["11", "13", "11"]
        assert (await client.get(f"{T}/students?status=13&group_id={group['id']}", headers=admin)).json()[
            "total"
        ] == 0

    async def test_unknown_status_and_short_reason(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        student = (await client.post(f"{T}/students", json=student_body(group), headers=admin)).json()
        bad = await client.post(
            f"{T}/students/{student['id']}/status", json={"status": "19", "reason": "Sabab"}, headers=admin
        )
        assert bad.status_code == 422
        assert bad.json()["field"] == "status"
        short = await client.post(
            f"{T}/students/{student['id']}/status", json={"status": "12", "reason": "x"}, headers=admin
        )
        assert short.status_code in (400, 422)
        assert short.json()["field"] == "reason"

    async def test_status_is_not_patchable(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        student = (await client.post(f"{T}/students", json=student_body(group), headers=admin)).json()
        response = await client.patch(f"{T}/students/{student['id']}", json={"status": "14"}, headers=admin)
        assert response.status_code in (400, 422)
        assert response.json()["field"] == "status"
        assert (await client.get(f"{T}/students/{student['id']}", headers=admin)).json()["status"] == "11"


class TestReviewedRules:
    async def test_non_ascii_digits_are_refused(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        arabic = "5170506" + "٠٠٠١٠٠٤"
        response = await client.post(f"{T}/students", json=student_body(group, pinfl=arabic), headers=admin)
        assert response.status_code == 422
        assert response.json()["field"] == "pinfl"
        number = await client.post(
            f"{T}/students", json=student_body(group, student_id_number="٣" * 10), headers=admin
        )
        assert number.json()["field"] == "student_id_number"

    async def test_unknown_field_is_named(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        response = await client.post(f"{T}/students", json=student_body(group, grup_id=5), headers=admin)
        assert response.status_code in (400, 422)
        assert response.json()["field"] == "grup_id"

    async def test_huge_id_is_a_named_4xx(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        assert (await client.get(f"{T}/students/{2**63}", headers=admin)).status_code in (400, 404, 422)
        response = await client.post(f"{T}/students", json=student_body(group, group_id=2**63), headers=admin)
        assert response.status_code in (400, 422)
        assert response.json()["field"] == "group_id"

    async def test_future_birth_date_is_refused(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        future = date.today().replace(year=date.today().year + 1)
        response = await client.post(
            f"{T}/students",
            json=student_body(group, birth_date=future.isoformat(), pinfl=pinfl(future)),
            headers=admin,
        )
        assert response.status_code == 422
        assert response.json()["field"] in ("birth_date", "pinfl")

    async def test_foreign_student_without_pinfl_but_not_a_citizen(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        foreign = student_body(group, citizenship="12")
        del foreign["pinfl"]
        assert (await client.post(f"{T}/students", json=foreign, headers=admin)).status_code == 201
        citizen = student_body(group)
        del citizen["pinfl"]
        response = await client.post(f"{T}/students", json=citizen, headers=admin)
        assert response.status_code == 422
        assert response.json()["field"] == "pinfl"

    async def test_new_pinfl_against_stored_birth_date_names_pinfl(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        student = (await client.post(f"{T}/students", json=student_body(group), headers=admin)).json()
        other = pinfl(date(2001, 1, 1))
        response = await client.patch(f"{T}/students/{student['id']}", json={"pinfl": other}, headers=admin)
        assert response.status_code == 422
        assert response.json()["field"] == "pinfl"

    async def test_graduate_cannot_become_studying_again(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        student = (await client.post(f"{T}/students", json=student_body(group), headers=admin)).json()
        url = f"{T}/students/{student['id']}/status"
        assert (
            await client.post(url, json={"status": "14", "reason": "Bitirdi"}, headers=admin)
        ).status_code == 201
        back = await client.post(url, json={"status": "11", "reason": "Qaytadan"}, headers=admin)
        assert back.status_code == 409
        assert back.json()["field"] == "status"

    async def test_graduate_may_enrol_again_with_the_same_pinfl(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]
    ) -> None:
        first = student_body(group)
        student = (await client.post(f"{T}/students", json=first, headers=admin)).json()
        await client.post(
            f"{T}/students/{student['id']}/status", json={"status": "14", "reason": "Bitirdi"}, headers=admin
        )
        again = student_body(group, pinfl=first["pinfl"], birth_date=first["birth_date"])
        assert (await client.post(f"{T}/students", json=again, headers=admin)).status_code == 201

    async def test_personal_data_never_reaches_the_audit_trail(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any], owner: Any
    ) -> None:
        from sqlalchemy import text

        body = student_body(group)
        student = (await client.post(f"{T}/students", json=body, headers=admin)).json()
        await client.patch(f"{T}/students/{student['id']}", json={"phone": "+998931112233"}, headers=admin)
        async with owner.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        text(
                            "SELECT data::text FROM t_alpha.audit_event WHERE entity = 'student' AND entity_id = :i"
                        ),
                        {"i": str(student["id"])},
                    )
                )
                .scalars()
                .all()
            )
        assert len(rows) == 2
        for secret in (
            body["pinfl"],
            body["passport"],
            body["phone"],
            body["email"],
            "+998931112233",
            body["birth_date"],
        ):
            assert all(secret not in row for row in rows), secret
