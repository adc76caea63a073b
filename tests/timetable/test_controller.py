"""The timetable over HTTP: pairs, clashes named with the lesson, concurrency, validation, the week,
the printable page, isolation."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.notifications.models import Notification
from hemis.timetable import rules
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.identity.test_sessions import cookie, login, new_user
from tests.isolation import assert_isolated
from tests.students.conftest import student_body
from tests.timetable.conftest import World, base, build_world

PAIRS = "/t/alpha/api/v1/timetable/pairs"


async def create(client: httpx.AsyncClient, world: World, **overrides: Any) -> httpx.Response:
    return await client.post(
        f"{world.url}/lessons", json=world.lesson(**overrides), headers=world.auth, params={"l": "en"}
    )


async def lessons_of(client: httpx.AsyncClient, world: World, **filters: int) -> list[dict[str, Any]]:
    response = await client.get(f"{world.url}/lessons", params=filters, headers=world.auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


class TestPairs:
    async def test_the_default_day_is_seeded(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        pairs = (await client.get(PAIRS, headers=admin)).json()
        assert [(p["number"], p["starts_at"], p["ends_at"]) for p in pairs][:2] == [
            (1, "08:30:00", "09:50:00"),
            (2, "10:00:00", "11:20:00"),
        ]
        assert len(pairs) == 8

    async def test_times_without_seconds_are_taken_and_bad_ones_named(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        moved = await client.put(f"{PAIRS}/8", json={"starts_at": "19:40", "ends_at": "21:00"}, headers=admin)
        assert moved.status_code == 200, moved.text
        assert moved.json() == {"number": 8, "starts_at": "19:40:00", "ends_at": "21:00:00"}
        try:
            for starts_at, ends_at, field in (("7:40", "21:00", "starts_at"), ("19:40", "24:00", "ends_at")):
                bad = await client.put(
                    f"{PAIRS}/8", json={"starts_at": starts_at, "ends_at": ends_at}, headers=admin
                )
                assert bad.status_code == 422, bad.text
                assert bad.json()["field"] == field
            kept = (await client.get(PAIRS, headers=admin)).json()[7]
            assert kept == {"number": 8, "starts_at": "19:40:00", "ends_at": "21:00:00"}
        finally:
            restored = await client.put(
                f"{PAIRS}/8", json={"starts_at": "19:30:00", "ends_at": "20:50:00"}, headers=admin
            )
            assert restored.status_code == 200, restored.text

    async def test_set_times_and_overlaps_are_refused(
        self, client: httpx.AsyncClient, admin: dict[str, str], token_for: TokenFactory
    ) -> None:
        moved = await client.put(
            f"{PAIRS}/8", json={"starts_at": "19:40:00", "ends_at": "21:00:00"}, headers=admin
        )
        assert moved.status_code == 200, moved.text
        assert moved.json() == {"number": 8, "starts_at": "19:40:00", "ends_at": "21:00:00"}
        overlap = await client.put(
            f"{PAIRS}/2",
            json={"starts_at": "09:30:00", "ends_at": "11:20:00"},
            headers=admin,
            params={"l": "ru"},
        )
        assert overlap.status_code == 422
        assert overlap.json()["field"] == "starts_at" and "пересекается с парой 1" in overlap.json()["detail"]
        later = await client.put(
            f"{PAIRS}/7", json={"starts_at": "18:00:00", "ends_at": "19:50:00"}, headers=admin
        )
        assert later.status_code == 422 and later.json()["field"] == "ends_at"
        backwards = await client.put(
            f"{PAIRS}/3", json={"starts_at": "12:50:00", "ends_at": "11:30:00"}, headers=admin
        )
        assert backwards.status_code == 422 and backwards.json()["field"] == "ends_at"
        teacher = await token_for("alpha", Role.TEACHER)
        assert (
            await client.put(
                f"{PAIRS}/8", json={"starts_at": "19:30:00", "ends_at": "20:50:00"}, headers=teacher
            )
        ).status_code == 403
        restored = await client.put(
            f"{PAIRS}/8", json={"starts_at": "19:30:00", "ends_at": "20:50:00"}, headers=admin
        )
        assert restored.status_code == 200
        assert [p["starts_at"] for p in (await client.get(PAIRS, headers=teacher)).json()][1:3] == [
            "10:00:00",
            "11:30:00",
        ]


class TestClashes:
    async def test_teacher_booked_twice_names_the_lesson(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        first = await create(client, world)
        assert first.status_code == 201, first.text
        second = await create(
            client, world, auditorium_id=world.rooms[1]["id"], group_ids=[world.groups[1]["id"]]
        )
        assert second.status_code == 409
        problem = second.json()
        assert problem["field"] == "employee_id"
        lesson_id = first.json()["id"]
        for text in (f"lesson {lesson_id}", world.subject_name, world.groups[0]["name"], "Rahimova D.A."):
            assert text in problem["detail"]
        assert world.rooms[0]["code"] in problem["detail"] and "weekday 1, pair 1" in problem["detail"]
        conflict = problem["conflict"]
        assert conflict["lesson_id"] == lesson_id
        assert conflict["subject_name"] == world.subject_name
        assert conflict["group_names"] == [world.groups[0]["name"]]
        assert conflict["teacher_name"] == "Rahimova D.A."
        assert conflict["auditorium_code"] == world.rooms[0]["code"]
        assert (conflict["weekday"], conflict["pair"]) == (1, 1)
        assert len(await lessons_of(client, world, employee_id=world.teachers[0]["id"])) == 1

    async def test_room_booked_twice(self, client: httpx.AsyncClient, world: World) -> None:
        assert (await create(client, world)).status_code == 201
        second = await client.post(
            f"{world.url}/lessons",
            json=world.lesson(
                employee_id=world.teachers[1]["id"], training_type="13", group_ids=[world.groups[1]["id"]]
            ),
            headers=world.auth,
            params={"l": "ru"},
        )
        assert second.status_code == 409 and second.json()["field"] == "auditorium_id"
        assert "Аудитория в это время занята" in second.json()["detail"]

    async def test_group_booked_twice(self, client: httpx.AsyncClient, world: World) -> None:
        assert (await create(client, world)).status_code == 201
        second = await create(
            client,
            world,
            employee_id=world.teachers[1]["id"],
            training_type="13",
            auditorium_id=world.rooms[1]["id"],
        )
        assert second.status_code == 409 and second.json()["field"] == "group_ids"
        assert second.json()["conflict"]["group_ids"] == [world.groups[0]["id"]]

    async def test_odd_and_even_weeks_share_a_slot_but_all_meets_both(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert (await create(client, world, parity="odd")).status_code == 201
        even = await create(client, world, parity="even", auditorium_id=world.rooms[1]["id"])
        assert even.status_code == 201, even.text
        every = await create(client, world, parity="all", weekday=1, group_ids=[world.groups[1]["id"]])
        assert every.status_code == 409 and every.json()["field"] == "employee_id"

    async def test_spans_that_do_not_overlap_share_a_slot(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert (await create(client, world, valid_to="2027-03-31")).status_code == 201
        after = await create(client, world, valid_from="2027-04-01")
        assert after.status_code == 201, after.text
        touching = await create(client, world, valid_from="2027-03-31", valid_to="2027-03-31")
        assert touching.status_code == 409

    async def test_a_lecture_stream_books_both_groups(self, client: httpx.AsyncClient, world: World) -> None:
        both = [world.groups[0]["id"], world.groups[1]["id"]]
        stream = await create(client, world, group_ids=both)
        assert stream.status_code == 201, stream.text
        assert sorted(stream.json()["group_ids"]) == sorted(both)
        practice = await create(
            client,
            world,
            employee_id=world.teachers[1]["id"],
            training_type="13",
            auditorium_id=world.rooms[1]["id"],
            group_ids=[world.groups[1]["id"]],
        )
        assert practice.status_code == 409 and practice.json()["field"] == "group_ids"
        assert sorted(practice.json()["conflict"]["group_names"]) == sorted(g["name"] for g in world.groups)
        listed = await lessons_of(client, world, group_id=world.groups[1]["id"])
        assert [x["id"] for x in listed] == [stream.json()["id"]]

    async def test_moving_into_a_clash_is_refused_and_nothing_changes(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert (await create(client, world)).status_code == 201
        other = await create(
            client, world, pair=2, auditorium_id=world.rooms[1]["id"], group_ids=[world.groups[1]["id"]]
        )
        assert other.status_code == 201
        url = f"{world.url}/lessons/{other.json()['id']}"
        moved = await client.patch(url, json={"version": 1, "pair": 1}, headers=world.auth)
        assert moved.status_code == 409 and moved.json()["field"] == "employee_id"
        assert (await client.get(url, headers=world.auth)).json() == other.json()
        fine = await client.patch(url, json={"version": 1, "pair": 3, "parity": "even"}, headers=world.auth)
        assert fine.status_code == 200, fine.text
        assert (fine.json()["pair"], fine.json()["parity"], fine.json()["version"]) == (3, "even", 2)
        stale = await client.patch(url, json={"version": 1, "pair": 4}, headers=world.auth)
        assert stale.status_code == 409 and stale.json()["field"] == "version"
        regrouped = await client.patch(
            url, json={"version": 2, "group_ids": [g["id"] for g in world.groups]}, headers=world.auth
        )
        assert regrouped.status_code == 200 and regrouped.json()["version"] == 3
        assert (await client.delete(url, headers=world.auth)).status_code == 204
        assert (await client.get(url, headers=world.auth)).status_code == 404

    async def test_two_clashing_saves_at_once_let_exactly_one_in(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        # Different rooms and groups, the same teacher. Over HTTP the two may or may not overlap in
        # time; test_service.TestConcurrentSaves holds one open to prove the second one waits.
        answers = await asyncio.gather(
            create(client, world),
            create(client, world, auditorium_id=world.rooms[1]["id"], group_ids=[world.groups[1]["id"]]),
        )
        assert sorted(a.status_code for a in answers) == [201, 409]
        assert len(await lessons_of(client, world, employee_id=world.teachers[0]["id"])) == 1


class TestValidation:
    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"weekday": 7}, "weekday"),
            ({"pair": 9}, "pair"),
            ({"group_ids": [999_999_999]}, "group_ids"),
            ({"employee_id": "second", "training_type": "11"}, "employee_id"),  # no lecture assignment
            ({"valid_from": "2027-06-30", "valid_to": "2027-02-01"}, "valid_to"),
            ({"training_type": "99"}, "training_type"),
            ({"auditorium_id": 999_999_999}, "auditorium_id"),
        ],
    )
    async def test_bad_input_is_named_and_nothing_is_written(
        self, client: httpx.AsyncClient, world: World, override: dict[str, Any], field: str
    ) -> None:
        if override.get("employee_id") == "second":
            override = override | {"employee_id": world.teachers[1]["id"]}
        refused = await create(client, world, **override)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == field
        assert await lessons_of(client, world, group_id=world.groups[0]["id"]) == []

    async def test_subject_outside_the_groups_curriculum(
        self, client: httpx.AsyncClient, world: World, admin: dict[str, str]
    ) -> None:
        elsewhere = await build_world(client, admin)
        refused = await client.post(
            f"{world.url}/lessons",
            json=world.lesson(curriculum_subject_id=elsewhere.line["id"]),
            headers=world.auth,
            params={"l": "ru"},
        )
        assert refused.status_code == 422 and refused.json()["field"] == "curriculum_subject_id"
        assert "учебном плане группы" in refused.json()["detail"]
        assert await lessons_of(client, world, group_id=world.groups[0]["id"]) == []

    async def test_teachers_read_but_do_not_write(
        self, client: httpx.AsyncClient, world: World, token_for: TokenFactory
    ) -> None:
        teacher = await token_for("alpha", Role.TEACHER)
        refused = await client.post(f"{world.url}/lessons", json=world.lesson(), headers=teacher)
        assert refused.status_code == 403
        student = await token_for("alpha", Role.STUDENT)
        assert (await client.get(f"{world.url}/lessons", headers=student)).status_code == 200


class TestWeek:
    async def test_dates_times_and_parity_of_a_week(self, client: httpx.AsyncClient, world: World) -> None:
        wednesday = date(2027, 3, 10)
        parity = rules.week_parity(wednesday)
        other = "even" if parity == "odd" else "odd"
        both = [g["id"] for g in world.groups]
        made = [
            await create(client, world, weekday=1, pair=1, group_ids=both),
            await create(
                client,
                world,
                weekday=3,
                pair=3,
                parity=parity,
                employee_id=world.teachers[1]["id"],
                training_type="13",
                auditorium_id=world.rooms[1]["id"],
            ),
            await create(client, world, weekday=5, pair=2, parity=other),
        ]
        assert [m.status_code for m in made] == [201, 201, 201]
        url = f"{world.url}/week"
        week = await client.get(
            url,
            params={"date": wednesday.isoformat(), "group_id": world.groups[0]["id"], "l": "ru"},
            headers=world.auth,
        )
        assert week.status_code == 200, week.text
        body = week.json()
        assert (body["monday"], body["saturday"], body["week_parity"]) == ("2027-03-08", "2027-03-13", parity)
        got = [
            (x["date"], x["pair"], x["starts_at"], x["ends_at"], x["training_type_name"])
            for x in body["lessons"]
        ]
        assert got == [
            ("2027-03-08", 1, "08:30:00", "09:50:00", "Лекция"),
            ("2027-03-10", 3, "11:30:00", "12:50:00", "Практическое занятие"),
        ]
        first = body["lessons"][0]
        assert first["subject_name"] == world.subject_name and first["teacher_name"] == "Rahimova D.A."
        assert first["auditorium_code"] == world.rooms[0]["code"]
        assert sorted(first["group_names"]) == sorted(g["name"] for g in world.groups)
        # The next week has the other parity: Friday's lesson instead of Wednesday's.
        following = (
            await client.get(
                url,
                params={
                    "date": (wednesday + timedelta(days=7)).isoformat(),
                    "group_id": world.groups[0]["id"],
                },
                headers=world.auth,
            )
        ).json()
        assert [(x["date"], x["pair"]) for x in following["lessons"]] == [
            ("2027-03-15", 1),
            ("2027-03-19", 2),
        ]
        # A teacher's and a room's week; outside the span, nothing.
        teacher = (
            await client.get(
                url, params={"date": "2027-03-10", "employee_id": world.teachers[1]["id"]}, headers=world.auth
            )
        ).json()
        assert [x["date"] for x in teacher["lessons"]] == ["2027-03-10"]
        room = (
            await client.get(
                url, params={"date": "2027-03-10", "auditorium_id": world.rooms[0]["id"]}, headers=world.auth
            )
        ).json()
        assert [x["date"] for x in room["lessons"]] == ["2027-03-08"]
        summer = (
            await client.get(
                url, params={"date": "2027-07-07", "group_id": world.groups[0]["id"]}, headers=world.auth
            )
        ).json()
        assert summer["lessons"] == []

    async def test_exactly_one_of_group_teacher_or_room(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        url = f"{world.url}/week"
        none = await client.get(url, params={"date": "2027-03-10"}, headers=world.auth)
        assert none.status_code == 422 and none.json()["field"] == "group_id"
        two = await client.get(
            url,
            params={
                "date": "2027-03-10",
                "group_id": world.groups[0]["id"],
                "employee_id": world.teachers[0]["id"],
            },
            headers=world.auth,
        )
        assert two.status_code == 422


class TestPrintablePage:
    @pytest.mark.parametrize(
        ("language", "words"),
        [
            ("uz", ("Dushanba", "Shanba", "Juftlik", "guruhining dars jadvali")),
            ("ru", ("Понедельник", "Суббота", "Пара", "Расписание группы")),
        ],
    )
    async def test_week_grid_in_the_language_asked(
        self, client: httpx.AsyncClient, world: World, language: str, words: tuple[str, ...]
    ) -> None:
        assert (await create(client, world, weekday=2, pair=4)).status_code == 201
        page = await client.get(
            f"/t/{world.tenant}/timetable/print",
            params={"date": "2027-03-10", "group_id": world.groups[0]["id"], "l": language},
            headers=world.auth,
        )
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["content-security-policy"]
        html = page.text
        assert "<script" not in html and "@page{size:A4 landscape" in html and "@media print" in html
        for word in (*words, world.subject_name, world.rooms[0]["code"], "Rahimova D.A.", "13:30–14:50"):
            assert word in html, word
        assert len(html.encode()) < 100_000

    async def test_signed_in_only(self, client: httpx.AsyncClient, world: World) -> None:
        page = await client.get(
            f"/t/{world.tenant}/timetable/print",
            params={"date": "2027-03-10", "group_id": world.groups[0]["id"]},
        )  # to the sign-in page, and back (tests/portal/test_timetable_page.py)
        assert page.status_code == 303 and world.subject_name not in page.text
        assert page.headers["location"].startswith(f"/t/{world.tenant}/portal/login?")


class TestIsolation:
    async def test_beta_neither_reads_nor_changes_alphas_lessons(
        self, client: httpx.AsyncClient, world: World, token_for: TokenFactory
    ) -> None:
        lesson = (await create(client, world)).json()
        beta = await token_for("beta", Role.REGISTRAR)
        await assert_isolated(
            client,
            "/api/v1/timetable/lessons",
            lesson,
            owner=("alpha", world.auth),
            other=("beta", beta),
            patch={"version": 1, "pair": 5},
            search="x",
        )
        week = await client.get(
            f"{base('beta')}/timetable/week",
            params={"date": "2027-03-10", "group_id": world.groups[0]["id"]},
            headers=beta,
        )
        assert week.status_code == 200 and all(x["lesson_id"] != lesson["id"] for x in week.json()["lessons"])
        elsewhere = await client.get(
            "/t/beta/timetable/print",
            params={"date": "2027-03-10", "group_id": world.groups[0]["id"]},
            headers=world.auth,
        )  # alpha's token is nobody at beta: beta's sign-in page
        assert elsewhere.status_code == 303
        assert elsewhere.headers["location"].startswith("/t/beta/portal/login?")

    async def test_beta_changes_only_its_own_pairs(
        self, client: httpx.AsyncClient, admin: dict[str, str], token_for: TokenFactory
    ) -> None:
        beta = await token_for("beta", Role.ADMIN)
        beta_pairs = f"{base('beta')}/timetable/pairs"
        changed = await client.put(
            f"{beta_pairs}/8", json={"starts_at": "19:35:00", "ends_at": "20:55:00"}, headers=beta
        )
        assert changed.status_code == 200
        try:
            alpha = (await client.get(PAIRS, headers=admin)).json()
            assert alpha[7] == {"number": 8, "starts_at": "19:30:00", "ends_at": "20:50:00"}
            assert (
                await client.put(
                    f"{PAIRS}/8", json={"starts_at": "19:35:00", "ends_at": "20:55:00"}, headers=beta
                )
            ).status_code == 401
        finally:
            await client.put(
                f"{beta_pairs}/8", json={"starts_at": "19:30:00", "ends_at": "20:50:00"}, headers=beta
            )


class TestDeanScope:
    async def test_a_dean_schedules_only_their_faculty_and_reads_with_the_session_cookie(
        self, client: httpx.AsyncClient, world: World, token_for: TokenFactory
    ) -> None:
        admin = await token_for("alpha", Role.ADMIN)
        own = await new_user(client, admin, roles=["dean"], faculty_id=world.faculty["id"])
        other_world = await build_world(client, world.auth)
        other = await new_user(client, admin, roles=["dean"], faculty_id=other_world.faculty["id"])
        own_session = cookie(await login(client, own["username"]))
        other_session = cookie(await login(client, other["username"]))
        refused = await client.post(f"{world.url}/lessons", json=world.lesson(), headers=other_session)
        assert refused.status_code == 403 and refused.json()["field"] == "group_ids"
        made = await client.post(f"{world.url}/lessons", json=world.lesson(), headers=own_session)
        assert made.status_code == 201, made.text
        url = f"{world.url}/lessons/{made.json()['id']}"
        moved = await client.patch(url, json={"version": 1, "pair": 2}, headers=other_session)
        assert moved.status_code == 403
        assert (await client.delete(url, headers=other_session)).status_code == 403
        page = await client.get(
            f"/t/{world.tenant}/timetable/print",
            params={"date": "2027-03-10", "group_id": world.groups[0]["id"]},
            headers=other_session,  # every signed-in person of the university reads the timetable
        )
        assert page.status_code == 200 and world.subject_name in page.text


class TestScheduleNotifications:
    """A change of the timetable tells the students of every group it concerns, in its own
    transaction: a refused change tells nobody."""

    async def test_the_groups_concerned_are_told_and_a_refused_change_tells_nobody(
        self,
        client: httpx.AsyncClient,
        world: World,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        students = []
        for chosen in world.groups[:2]:
            response = await client.post(
                f"{base('alpha')}/students", json=student_body(chosen), headers=world.auth
            )
            assert response.status_code == 201, response.text
            students.append(response.json()["id"])

        async def told() -> list[tuple[int, dict[str, Any]]]:
            async with tenant_session(maker, tenants["alpha"]) as session:
                rows = await session.execute(
                    select(Notification.student_id, Notification.params)
                    .where(Notification.kind == "schedule", Notification.student_id.in_(students))
                    .order_by(Notification.id)
                )
                return [(s, p) for s, p in rows]

        lesson = await create(client, world)
        assert lesson.status_code == 201, lesson.text
        params = {"subject": world.subject_name, "weekday": 1, "pair": 1}
        assert await told() == [(students[0], params)]  # group 0 only

        clash = await create(client, world, group_ids=[world.groups[1]["id"]])
        assert clash.status_code == 409
        assert len(await told()) == 1  # refused: nobody told

        url = f"{world.url}/lessons/{lesson.json()['id']}"
        moved = await client.patch(
            url, json={"version": 1, "group_ids": [world.groups[1]["id"]], "pair": 2}, headers=world.auth
        )
        assert moved.status_code == 200, moved.text
        later = await told()
        assert sorted(s for s, _ in later[1:]) == sorted(students)  # the group it left and the one it joined
        assert all(p["pair"] == 2 for _, p in later[1:])


class TestReviewedEdges:
    async def test_a_week_beyond_the_calendar_is_a_named_422(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for day in ("9999-12-31", "0001-01-03"):
            response = await client.get(
                f"{world.url}/week",
                params={"date": day, "group_id": world.groups[0]["id"]},
                headers=world.auth,
            )
            assert response.status_code == 422 and response.json()["field"] == "date", response.text

    async def test_a_dean_who_also_teaches_schedules_only_their_faculty(
        self, client: httpx.AsyncClient, world: World, token_for: TokenFactory
    ) -> None:
        # A dean of another faculty who teaches the world's groups: reads them, schedules none.
        other = await build_world(client, world.auth)
        await client.post(
            f"{base('alpha')}/teaching-assignments",
            json={
                "employee_id": other.teachers[0]["id"],
                "curriculum_subject_id": world.line["id"],
                "group_id": world.groups[0]["id"],
                "training_type": "13",
            },
            headers=world.auth,
        )
        admin = await token_for("alpha", Role.ADMIN)
        user = await new_user(
            client,
            admin,
            roles=["dean", "teacher"],
            faculty_id=other.faculty["id"],
            employee_id=other.teachers[0]["id"],
        )
        dean = cookie(await login(client, user["username"]))
        assert (await client.get(f"{world.url}/lessons", headers=dean)).status_code == 200
        refused = await client.post(f"{world.url}/lessons", json=world.lesson(), headers=dean)
        assert refused.status_code == 403, refused.text
        own = await client.post(f"{other.url}/lessons", json=other.lesson(), headers=dean)
        assert own.status_code == 201, own.text

    async def test_a_guardian_reads_no_timetable_structure_or_curricula(
        self, client: httpx.AsyncClient, world: World, token_for: TokenFactory
    ) -> None:
        user = await new_user(client, await token_for("alpha", Role.ADMIN), roles=["guardian"])
        parent = cookie(await login(client, user["username"]))
        for url in (
            f"{world.url}/week?date=2027-02-01&group_id={world.groups[0]['id']}",
            f"{world.url}/lessons",
            f"{base('alpha')}/structure/departments",
            f"{base('alpha')}/curricula",
        ):
            assert (await client.get(url, headers=parent)).status_code == 403, url
