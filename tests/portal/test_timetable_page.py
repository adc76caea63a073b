"""The registrar's timetable page over HTTP: a lesson added through the form shows in the week, a
clash is refused naming the lesson it is with (and nothing is written), other refusals name their
field, only schedulers get the page, a dean of another faculty is refused by the service, and
another university's registrar reaches nothing of this one's timetable."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from tenants.context import TenantRef
from tests.conftest import TokenFactory
from tests.identity.test_sessions import PASSWORD as USER_PASSWORD
from tests.identity.test_sessions import new_user
from tests.portal.conftest import LIMIT, P, check_page, portal_sign_in, student_account
from tests.portal.conftest import PASSWORD as PORTAL_PASSWORD
from tests.portal.teaching import teacher_account
from tests.students.conftest import student_body
from tests.timetable.conftest import SPRING, World, build_world, world  # noqa: F401  (fixture reused)

T = f"{P}/timetable"
DAY = "2027-03-10"  # a Wednesday of the spring the world's lessons run in


def lesson_form(w: World, **overrides: Any) -> dict[str, Any]:
    """What the add form sends: teacher 0's lecture in room 0 on Wednesday, pair 2, the spring."""
    return {
        "curriculum_subject_id": str(w.line["id"]),
        "training_type": "11",
        "employee_id": str(w.teachers[0]["id"]),
        "auditorium_id": str(w.rooms[0]["id"]),
        "weekday": "3",
        "pair": "2",
        "parity": "all",
        "valid_from": SPRING[0],
        "valid_to": SPRING[1],
    } | overrides


def week_url(group: dict[str, Any], day: str = DAY) -> str:
    return f"{T}?group_id={group['id']}&date={day}"


def add_url(group: dict[str, Any], day: str = DAY) -> str:
    return f"{T}/lessons?group_id={group['id']}&date={day}"


def control(page: str, name: str) -> str:
    """The opening tag of the form control with this id."""
    found = re.search(rf'<(?:select|input)[^>]* id="{name}"[^>]*>', page)
    assert found, name
    return found.group(0)


def selected(page: str, name: str) -> list[str]:
    found = re.search(rf'<select[^>]* id="{name}".*?</select>', page, re.DOTALL)
    assert found, name
    return re.findall(r'<option value="([^"]*)" selected>', found.group(0))


async def lessons_of(client: httpx.AsyncClient, w: World, group: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(f"{w.url}/lessons", params={"group_id": group["id"]}, headers=w.auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.fixture
async def registrar(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
) -> str:
    """A registrar of alpha, signed in through the portal's form (the client keeps the cookie)."""
    return await portal_sign_in(client, await student_account(maker, tenants["alpha"], None, Role.REGISTRAR))


class TestAddLesson:
    async def test_a_lesson_added_through_the_form_shows_in_the_week(
        self,
        client: httpx.AsyncClient,
        world: World,  # noqa: F811
        registrar: str,
    ) -> None:
        g0, g1 = world.groups
        home = await client.get(f"{P}/")  # the registrar's portal is the timetable
        assert home.status_code == 303 and home.headers["location"] == T
        picker = check_page(await client.get(T))
        assert (
            'data-test="choose"' in picker and f'<option value="{g0["id"]}">{g0["name"]}</option>' in picker
        )
        assert 'data-test="nav-timetable.week"' in picker
        empty = check_page(await client.get(week_url(g0)))
        assert 'data-test="no-lessons"' in empty and "Dushanba" in empty and "10.03" in empty
        assert world.subject_name in empty  # the curriculum's subjects to choose from
        assert "Rahimova D.A." in empty and "Tursunov B.A." in empty  # the group's assigned teachers
        assert world.rooms[0]["code"] in empty and "2-juftlik, 10:00–11:20" in empty
        assert f'<option value="{g1["id"]}">{g1["name"]}</option>' in empty  # the stream's other group
        assert 'href="/t/alpha/timetable/print?group_id=' in empty
        for name in ("curriculum_subject_id", "employee_id", "auditorium_id", "weekday", "pair", "valid_to"):
            assert f'<label for="{name}">' in empty  # every control has its label

        saved = await client.post(add_url(g0), data=lesson_form(world, group_ids=[str(g1["id"])]))
        assert saved.status_code == 303, saved.text
        location = saved.headers["location"]
        assert location.startswith(f"{T}?group_id={g0['id']}&date={DAY}&added=")
        [made] = await lessons_of(client, world, g1)  # a lecture stream: both groups
        assert made["group_ids"] == sorted([g0["id"], g1["id"]]) and (made["weekday"], made["pair"]) == (3, 2)
        page = check_page(await client.get(location))
        assert (
            'data-test="saved"' in page
            and f"Dars qo'shildi: {world.subject_name}, Chorshanba, 2-juftlik" in page
        )
        cell = re.search(rf'data-test="lesson-{made["id"]}".*?</div>', page, re.DOTALL)
        assert cell is not None
        assert world.subject_name in cell.group(0) and "Rahimova D.A." in cell.group(0)
        assert world.rooms[0]["code"] in cell.group(0) and g1["name"] in cell.group(0)

        # Its delete link asks first: the lesson as the week shows it, a button, a way back.
        ask = f"{T}/lessons/{made['id']}/delete?group_id={g0['id']}&date={DAY}"  # check_page unescapes
        assert f'<a class="del" href="{ask}" data-test="delete-{made["id"]}">' in page
        confirm = check_page(await client.get(ask))
        assert "Darsni jadvaldan olib tashlaysizmi?" in confirm and world.subject_name in confirm
        assert "Chorshanba, 2-juftlik" in confirm and g0["name"] in confirm and g1["name"] in confirm
        assert f'<form method="post" action="{ask}"' in confirm
        assert f'href="{T}?group_id={g0["id"]}&date={DAY}" data-test="cancel"' in confirm
        assert len(await lessons_of(client, world, g1)) == 1  # asking deletes nothing
        # Deleted with the confirming button: off the timetable of both groups, in one go.
        deleted = await client.post(f"{T}/lessons/{made['id']}/delete?group_id={g0['id']}&date={DAY}")
        assert deleted.status_code == 303 and deleted.headers["location"].endswith("&deleted=1")
        assert await lessons_of(client, world, g1) == []
        assert 'data-test="deleted"' in check_page(await client.get(deleted.headers["location"]))
        gone = await client.post(f"{T}/lessons/{made['id']}/delete?group_id={g0['id']}&date={DAY}")
        assert gone.status_code == 404 and 'data-test="lesson-error"' in gone.text
        asked_again = await client.get(f"{T}/lessons/{made['id']}/delete?group_id={g0['id']}&date={DAY}")
        assert asked_again.status_code == 404 and "allaqachon olib tashlangan" in asked_again.text

    async def test_a_clash_is_refused_naming_the_lesson_and_nothing_is_written(
        self,
        client: httpx.AsyncClient,
        world: World,  # noqa: F811
        registrar: str,
    ) -> None:
        g0, g1 = world.groups
        first = await client.post(add_url(g0), data=lesson_form(world))
        assert first.status_code == 303, first.text
        [kept] = await lessons_of(client, world, g0)
        # Teacher 0 again at Wednesday pair 2, for the other group in the other room.
        clash = await client.post(
            add_url(g1), data=lesson_form(world, auditorium_id=str(world.rooms[1]["id"]))
        )
        assert clash.status_code == 409
        assert len(clash.content) <= LIMIT and "unsafe-inline" not in clash.headers["content-security-policy"]
        page = clash.text.replace("&#39;", "'")
        box = re.search(r'<div class="error box" role="alert" id="lesson-error".*?</div>', page, re.DOTALL)
        assert box is not None
        said = box.group(0)
        assert "O'qituvchi bu vaqtda band: Chorshanba, 2-juftlikda" in said
        assert world.subject_name in said and g0["name"] in said and "Rahimova D.A." in said
        assert world.rooms[0]["code"] in said and "01.02.2027–30.06.2027" in said
        teacher = control(page, "employee_id")
        assert 'aria-invalid="true"' in teacher and 'aria-describedby="lesson-error"' in teacher
        assert "aria-invalid" not in control(page, "auditorium_id")
        # The form as typed is kept.
        assert selected(page, "auditorium_id") == [str(world.rooms[1]["id"])]
        assert selected(page, "pair") == ["2"] and selected(page, "weekday") == ["3"]
        assert await lessons_of(client, world, g1) == []  # nothing written
        assert [x["id"] for x in await lessons_of(client, world, g0)] == [kept["id"]]

        # The room booked twice: the room is the field marked.
        room = await client.post(
            add_url(g1), data=lesson_form(world, employee_id=str(world.teachers[1]["id"]), training_type="13")
        )
        assert room.status_code == 409 and 'aria-invalid="true"' in control(room.text, "auditorium_id")
        assert "Xona bu vaqtda band" in room.text.replace("&#39;", "'")

    async def test_other_refusals_name_their_field(
        self,
        client: httpx.AsyncClient,
        world: World,  # noqa: F811
        registrar: str,
    ) -> None:
        g0 = world.groups[0]
        cases = (
            # Teacher 1 teaches the group's practice (13), not its lecture.
            (lesson_form(world, employee_id=str(world.teachers[1]["id"])), "employee_id"),
            (lesson_form(world, valid_to="2027-01-01"), "valid_to"),  # ends before it starts
            (lesson_form(world, valid_to=""), "valid_to"),  # missing
            (lesson_form(world, pair="9"), "pair"),  # no such pair
            (lesson_form(world, valid_from="yesterday"), "valid_from"),  # unreadable
            (lesson_form(world, curriculum_subject_id=""), "curriculum_subject_id"),
        )
        for form, name in cases:
            response = await client.post(add_url(g0), data=form)
            assert response.status_code == 422, (name, response.text[:300])
            assert 'aria-invalid="true"' in control(response.text, name), name
            assert 'data-test="lesson-error"' in response.text
        missing = await client.post(add_url(g0), data=lesson_form(world, valid_to=""))
        assert "Tugash sanasi" in missing.text  # the field named with the form's own label
        assert await lessons_of(client, world, g0) == []


class TestWhoMay:
    async def test_a_teacher_or_a_student_gets_a_403_page(
        self,
        client: httpx.AsyncClient,
        world: World,  # noqa: F811
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        g0 = world.groups[0]
        student = await client.post("/t/alpha/api/v1/students", json=student_body(g0), headers=world.auth)
        assert student.status_code == 201, student.text
        for username in (
            await teacher_account(maker, tenants["alpha"], world.teachers[0]["id"]),
            await student_account(maker, tenants["alpha"], student.json()["id"]),
        ):
            client.cookies.clear()
            await portal_sign_in(client, username)
            refused = await client.get(week_url(g0))
            assert refused.status_code == 403 and 'data-test="message"' in refused.text
            assert "registrator ofisi" in refused.text
            posted = await client.post(add_url(g0), data=lesson_form(world))
            assert posted.status_code == 403
        assert await lessons_of(client, world, g0) == []
        client.cookies.clear()
        nobody = await client.get(week_url(g0))  # not signed in: to the sign-in page, and back here
        assert nobody.status_code == 303 and nobody.headers["location"].startswith(f"{P}/login?")

    async def test_a_dean_of_another_faculty_is_refused_by_the_service(
        self,
        client: httpx.AsyncClient,
        world: World,  # noqa: F811
        token_for: TokenFactory,
    ) -> None:
        g0 = world.groups[0]
        other = await build_world(client, world.auth)
        dean = await new_user(
            client, await token_for("alpha", Role.ADMIN), roles=["dean"], faculty_id=other.faculty["id"]
        )
        signed = await client.post(
            f"{P}/login", data={"username": dean["username"], "password": USER_PASSWORD, "l": "uz"}
        )
        assert signed.status_code == 303, signed.text
        picker = check_page(await client.get(T))
        assert other.groups[0]["name"] in picker and g0["name"] not in picker  # their faculty's groups only
        week = check_page(await client.get(week_url(g0)))  # every signed-in person reads a timetable
        assert world.subject_name in week
        refused = await client.post(add_url(g0), data=lesson_form(world))
        assert refused.status_code == 403
        assert "Dekan faqat o'z fakulteti guruhlarining" in refused.text.replace("&#39;", "'")
        assert 'data-test="lesson-error"' in refused.text
        assert await lessons_of(client, world, g0) == []
        # A lesson of the world's group, made by the registrar's office: the dean cannot delete it.
        made = await client.post(
            f"{world.url}/lessons", json=world.lesson(weekday=3, pair=2), headers=world.auth
        )
        assert made.status_code == 201, made.text
        kept = await client.post(f"{T}/lessons/{made.json()['id']}/delete?group_id={g0['id']}&date={DAY}")
        assert kept.status_code == 403
        assert [x["id"] for x in await lessons_of(client, world, g0)] == [made.json()["id"]]
        own = await client.post(add_url(other.groups[0]), data=lesson_form(other))
        assert own.status_code == 303, own.text  # their own faculty's group: saved


class TestIsolationAndLanguage:
    async def test_another_universitys_registrar_reaches_nothing_of_this_timetable(
        self,
        client: httpx.AsyncClient,
        world: World,  # noqa: F811
        registrar: str,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        g0 = world.groups[0]
        assert (await client.post(add_url(g0), data=lesson_form(world))).status_code == 303
        [lesson] = await lessons_of(client, world, g0)
        client.cookies.clear()
        await portal_sign_in(
            client, await student_account(maker, tenants["beta"], None, Role.REGISTRAR), "beta"
        )
        beta = "/t/beta/portal/timetable"
        picker = await client.get(beta)
        assert picker.status_code == 200 and g0["name"] not in picker.text
        seen = await client.get(f"{beta}?group_id={g0['id']}&date={DAY}")  # alpha's id at beta
        assert seen.status_code in (200, 404)
        assert g0["name"] not in seen.text and world.subject_name not in seen.text
        added = await client.post(f"{beta}/lessons?group_id={g0['id']}&date={DAY}", data=lesson_form(world))
        assert added.status_code in (403, 404, 409, 422)
        asked = await client.get(f"{beta}/lessons/{lesson['id']}/delete?group_id={g0['id']}&date={DAY}")
        assert asked.status_code in (200, 404) and world.subject_name not in asked.text
        await client.post(f"{beta}/lessons/{lesson['id']}/delete?group_id={g0['id']}&date={DAY}")
        assert [x["id"] for x in await lessons_of(client, world, g0)] == [lesson["id"]]  # untouched
        # Beta's session is worth nothing at alpha: the sign-in page.
        there = await client.get(week_url(g0))
        assert there.status_code == 303 and there.headers["location"].startswith(f"{P}/login?")
        assert (await client.post(add_url(g0), data=lesson_form(world))).status_code == 303
        assert len(await lessons_of(client, world, g0)) == 1  # that 303 was to the sign-in page

    async def test_the_page_and_a_clash_in_russian(
        self,
        client: httpx.AsyncClient,
        world: World,  # noqa: F811
        registrar: str,
    ) -> None:
        g0, g1 = world.groups
        page = check_page(await client.get(f"{week_url(g0)}&l=ru"), "ru")
        assert "Расписание группы" in page and "Понедельник" in page and "Преподаватель" in page
        assert "2-я пара, 10:00–11:20" in page and "Каждую неделю" in page
        assert (await client.post(add_url(g0), data=lesson_form(world))).status_code == 303
        clash = await client.post(
            add_url(g1), data=lesson_form(world, auditorium_id=str(world.rooms[1]["id"]))
        )
        assert clash.status_code == 409 and '<html lang="ru"' in clash.text  # the language is remembered
        assert "Преподаватель в это время занят: Среда, 2-я пара" in clash.text
        assert world.subject_name in clash.text and g0["name"] in clash.text


class TestPrintableWeekSignIn:
    async def test_nobody_signed_in_goes_to_the_sign_in_page_and_back_to_the_week(
        self,
        client: httpx.AsyncClient,
        world: World,  # noqa: F811
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        week = f"/t/alpha/timetable/print?group_id={world.groups[0]['id']}&date={DAY}"
        nobody = await client.get(week)
        assert nobody.status_code == 303
        login = nobody.headers["location"]
        assert (
            login.startswith(f"{P}/login?") and "next=%2Ft%2Falpha%2Ftimetable%2Fprint%3Fgroup_id%3D" in login
        )
        form = check_page(await client.get(login))
        assert 'name="next" value="/t/alpha/timetable/print?group_id=' in form.replace("&amp;", "&")
        username = await student_account(maker, tenants["alpha"], None, Role.REGISTRAR)
        signed_in = await client.post(
            f"{P}/login",
            data={"username": username, "password": PORTAL_PASSWORD, "l": "uz", "next": week},
        )
        assert signed_in.status_code == 303 and signed_in.headers["location"] == week
        page = await client.get(week)
        assert page.status_code == 200 and "Dushanba" in page.text
        # Only the portal and the printable week are places to come back to.
        elsewhere = await client.post(
            f"{P}/login",
            data={
                "username": username,
                "password": PORTAL_PASSWORD,
                "l": "uz",
                "next": "/t/alpha/api/v1/students",
            },
        )
        assert elsewhere.headers["location"] == f"{P}/"
