"""The teacher's journal over HTTP: my lessons today, a lesson's attendance in one screen, a
sheet's marks for the whole group, the absence limit, and who may open any of it."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.attendance.models import Absence
from hemis.core.auth import Role
from hemis.core.clock import local_today
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.portal.conftest import LIMIT, P, portal_sign_in, student_account
from tests.portal.teaching import A, Class, J, build_class, klass  # noqa: F401  (fixture reused)


async def absent_hours(
    client: httpx.AsyncClient, auth: dict[str, str], taught: Class, student: dict[str, Any]
) -> int:
    response = await client.get(
        f"{A}/attendance/summary",
        params={"student_id": student["id"], "curriculum_subject_id": taught.line["id"]},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    return int(response.json()["absent_hours"])


async def marks(client: httpx.AsyncClient, auth: dict[str, str], sheet_id: int) -> dict[int, dict[str, Any]]:
    response = await client.get(f"{A}/grading/sheets/{sheet_id}/marks", headers=auth)
    assert response.status_code == 200, response.text
    return {m["student_id"]: m for m in response.json()}


def row(page: str, student_id: int) -> str:
    """The student's table row of a journal page."""
    found = re.search(rf'<tr[^>]*data-test="student-{student_id}".*?</tr>', page, re.DOTALL)
    assert found, f"no row of student {student_id}"
    return found.group(0)


def value_of(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]* name="{name}"[^>]*>', page)
    assert tag, name
    found = re.search(r'value="([^"]*)"', tag.group(0))
    assert found, name
    return found.group(1)


def sheet_form(entries: dict[int, tuple[str, str, str]]) -> dict[str, str]:
    """What the sheet's form sends: per student (typed points, points shown, version shown)."""
    form = {}
    for sid, (typed, shown, version) in entries.items():
        form |= {f"p{sid}": typed, f"o{sid}": shown, f"v{sid}": version}
    return form


class TestTeacherHome:
    async def test_the_portal_opens_the_teachers_day(self, client: httpx.AsyncClient, klass: Class) -> None:  # noqa: F811
        await portal_sign_in(client, klass.teacher)
        portal = await client.get(f"{P}/")
        assert portal.status_code == 303 and portal.headers["location"] == f"{P}/teacher"
        home = await client.get(f"{P}/teacher")
        assert home.status_code == 200, home.text
        assert "script-src 'self'" in home.headers["content-security-policy"]
        assert len(home.content) <= LIMIT and '<html lang="uz"' in home.text
        text = home.text
        assert klass.group["name"] in text and klass.world.subject_name in text
        assert f'href="{P}/journal/sheets"' in text and 'data-test="nav-journal.absences"' in text
        if klass.lesson is not None:  # today's lecture from the timetable: pair 3 at 11:30, its room
            assert 'data-test="lesson"' in text and "3-juftlik" in text and "11:30" in text
            assert klass.world.rooms[0]["code"] in text
            link = re.search(r'href="([^"]+)" data-test="take-attendance"', text)
            assert link is not None
            opened = await client.get(link.group(1).replace("&amp;", "&"))
            assert opened.status_code == 200 and "3-juftlik" in opened.text
        else:
            assert 'data-test="no-lessons"' in text
        # The teacher's printable week (hemis.timetable's page), opened with the same session.
        printable = re.search(r'href="([^"]+)" data-test="print-week"', text)
        assert printable is not None
        week = await client.get(printable.group(1).replace("&amp;", "&"))
        assert week.status_code == 200 and "<table" in week.text
        ru = await client.get(f"{P}/teacher?l=ru")
        assert '<html lang="ru"' in ru.text and "Мои группы и дисциплины" in ru.text


class TestAttendance:
    async def test_a_lesson_is_saved_from_one_screen(
        self, client: httpx.AsyncClient, klass: Class, token_for: TokenFactory,  # noqa: F811
        maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef],
    ) -> None:  # fmt: skip
        s0, s1, s2 = klass.students
        auth = klass.world.auth
        await portal_sign_in(client, klass.teacher)
        url = klass.attendance_url()
        page = await client.get(url)
        assert page.status_code == 200, page.text
        assert len(page.content) <= LIMIT
        for student in klass.students:
            assert (
                f'<label for="a{student["id"]}">{student["last_name"]} {student["first_name"]}</label>'
                in page.text
            )
            assert "checked" not in row(page.text, student["id"])
        saved = await client.post(url, data={"absent": [str(s0["id"]), str(s1["id"])], f"h{s1['id']}": "4"})
        assert saved.status_code == 303, saved.text
        assert "saved=1" in saved.headers["location"]
        assert [await absent_hours(client, auth, klass, s) for s in (s0, s1, s2)] == [2, 4, 0]
        again = await client.get(saved.headers["location"])
        assert 'data-test="saved"' in again.text
        assert "checked" in row(again.text, s0["id"]) and "checked" not in row(again.text, s2["id"])
        assert value_of(again.text, f"h{s1['id']}") == "4"
        # The dean's office excuses s1's absence: the page keeps it, unticking takes only s0's away.
        async with tenant_session(maker, tenants["alpha"]) as session:
            absence = await session.scalar(select(Absence.id).where(Absence.student_id == s1["id"]))
        excused = await client.post(
            f"{A}/attendance/absences/{absence}/excuse",
            json={"document": "Tibbiy ma'lumotnoma 095"},
            headers=await token_for("alpha", Role.ADMIN),
        )
        assert excused.status_code == 201, excused.text
        shown = await client.get(url)
        assert 'data-test="excused"' in row(shown.text, s1["id"]) and "disabled" in row(shown.text, s1["id"])
        cleared = await client.post(url, data={})
        assert cleared.status_code == 303, cleared.text
        assert [await absent_hours(client, auth, klass, s) for s in (s0, s1, s2)] == [0, 4, 0]

    async def test_bad_hours_name_the_student_and_nothing_is_written(
        self,
        client: httpx.AsyncClient,
        klass: Class,  # noqa: F811
    ) -> None:
        s0, s1, _ = klass.students
        await portal_sign_in(client, klass.teacher)
        url = klass.attendance_url()
        refused = await client.post(
            url, data={"absent": [str(s0["id"]), str(s1["id"])], f"h{s0['id']}": "2", f"h{s1['id']}": "9"}
        )
        assert refused.status_code == 422, refused.text
        error = re.search(rf'data-test="error-{s1["id"]}">([^<]+)<', refused.text)
        assert error is not None and "Bakirova Malika" in error.group(1) and "soat" in error.group(1)
        assert f'data-test="error-{s0["id"]}"' not in refused.text
        assert 'role="alert" data-test="error"' in refused.text
        # What the teacher ticked is still ticked, so they fix one number and save again.
        assert "checked" in row(refused.text, s0["id"])
        assert await absent_hours(client, klass.world.auth, klass, s0) == 0
        # A lesson in the future is refused as a whole, in the page's language.
        tomorrow = klass.attendance_url(local_today() + timedelta(days=1))
        future = await client.post(f"{tomorrow}&l=ru", data={"absent": [str(s0["id"])]})
        assert future.status_code == 422 and "дата" in future.text
        assert await absent_hours(client, klass.world.auth, klass, s0) == 0


class TestSheet:
    async def test_marks_for_the_whole_group(self, client: httpx.AsyncClient, klass: Class) -> None:  # noqa: F811
        s0, s1, s2 = klass.students
        sheet = klass.sheet["id"]
        await portal_sign_in(client, klass.teacher)
        page = await client.get(f"{J}/sheets/{sheet}")
        assert page.status_code == 200, page.text
        assert len(page.content) <= LIMIT
        assert (
            'data-test="max">Eng ko&#39;pi 30 ball' in page.text and 'data-test="status">ochiq' in page.text
        )
        lock = (local_today() + timedelta(days=2)).strftime("%d.%m.%Y")
        assert f'data-test="lock-date">{lock}' in page.text
        for student in klass.students:
            assert f'<label for="p{student["id"]}">' in page.text
        assert "/portal/static/journal.js?v=" in page.text
        # Above the maximum: refused naming the student, and nothing of the form is written.
        form = sheet_form({s0["id"]: ("25", "", ""), s1["id"]: ("31", "", ""), s2["id"]: ("", "", "")})
        refused = await client.post(f"{J}/sheets/{sheet}", data=form)
        assert refused.status_code == 422, refused.text
        error = re.search(rf'data-test="error-{s1["id"]}">([^<]+)<', refused.text)
        assert error is not None and "Bakirova Malika" in error.group(1) and "30" in error.group(1)
        assert value_of(refused.text, f"p{s1['id']}") == "31"  # the typing stays to be fixed
        assert await marks(client, klass.world.auth, sheet) == {}
        form[f"p{s1['id']}"] = "28,5"
        saved = await client.post(f"{J}/sheets/{sheet}", data=form)
        assert saved.status_code == 303, saved.text
        stored = await marks(client, klass.world.auth, sheet)
        assert {k: Decimal(m["points"]) for k, m in stored.items()} == {
            s0["id"]: Decimal(25),
            s1["id"]: Decimal("28.5"),
        }
        shown = await client.get(saved.headers["location"])
        assert 'data-test="saved"' in shown.text
        assert value_of(shown.text, f"p{s1['id']}") == "28,5" and value_of(shown.text, f"v{s1['id']}") == "1"

    async def test_a_mark_changed_meanwhile_is_reported_and_nothing_saved(
        self,
        client: httpx.AsyncClient,
        klass: Class,  # noqa: F811
    ) -> None:
        s0, s1, _ = klass.students
        sheet, auth = klass.sheet["id"], klass.world.auth
        for student, points in ((s0, "20"), (s1, "22")):
            recorded = await client.post(
                f"{A}/grading/sheets/{sheet}/marks",
                json={"student_id": student["id"], "points": points},
                headers=auth,
            )
            assert recorded.status_code == 201, recorded.text
        await portal_sign_in(client, klass.teacher)
        page = await client.get(f"{J}/sheets/{sheet}")
        assert value_of(page.text, f"p{s0['id']}") == "20" and value_of(page.text, f"v{s0['id']}") == "1"
        # Someone else corrects s0's mark after the teacher opened the page.
        mine = (await marks(client, auth, sheet))[s0["id"]]
        other = await client.patch(
            f"{A}/grading/marks/{mine['id']}", json={"points": "15", "version": 1, "reason": "Qayta tekshirildi"},
            headers=auth,
        )  # fmt: skip
        assert other.status_code == 200, other.text
        form = sheet_form({s0["id"]: ("18", "20", "1"), s1["id"]: ("24", "22", "1")})
        refused = await client.post(f"{J}/sheets/{sheet}", data=form)
        assert refused.status_code == 409, refused.text
        assert f'data-test="error-{s0["id"]}"' in refused.text and "Abdullayev Sardor" in refused.text
        assert value_of(refused.text, f"p{s0['id']}") == "15"  # the current value, with its version
        assert value_of(refused.text, f"v{s0['id']}") == "2"
        assert value_of(refused.text, f"p{s1['id']}") == "24"  # the teacher's typing stays
        stored = await marks(client, auth, sheet)
        assert (Decimal(stored[s0["id"]]["points"]), Decimal(stored[s1["id"]]["points"])) == (15, 22)

    async def test_a_correction_refused_with_the_form_is_not_lost(
        self,
        client: httpx.AsyncClient,
        klass: Class,  # noqa: F811
    ) -> None:
        """A valid correction sent with another student's bad mark is undone with the form; the page
        must then show what is stored (not the undone correction), so sending it again saves it."""
        s0, s1, _ = klass.students
        sheet, auth = klass.sheet["id"], klass.world.auth
        for student, points in ((s0, "20"), (s1, "22")):
            recorded = await client.post(
                f"{A}/grading/sheets/{sheet}/marks",
                json={"student_id": student["id"], "points": points},
                headers=auth,
            )
            assert recorded.status_code == 201, recorded.text
        await portal_sign_in(client, klass.teacher)
        form = sheet_form({s0["id"]: ("25", "20", "1"), s1["id"]: ("31", "22", "1")})
        refused = await client.post(f"{J}/sheets/{sheet}", data=form)
        assert refused.status_code == 422, refused.text
        # What the page carries for s0 is what is stored: 20 at version 1, typed 25 kept.
        assert (
            value_of(refused.text, f"o{s0['id']}") == "20" and value_of(refused.text, f"v{s0['id']}") == "1"
        )
        assert value_of(refused.text, f"p{s0['id']}") == "25"
        again = sheet_form({
            s0["id"]: ("25", value_of(refused.text, f"o{s0['id']}"), value_of(refused.text, f"v{s0['id']}")),
            s1["id"]: ("24", value_of(refused.text, f"o{s1['id']}"), value_of(refused.text, f"v{s1['id']}")),
        })  # fmt: skip
        saved = await client.post(f"{J}/sheets/{sheet}", data=again)
        assert saved.status_code == 303, saved.text
        stored = await marks(client, auth, sheet)
        assert (Decimal(stored[s0["id"]]["points"]), Decimal(stored[s1["id"]]["points"])) == (25, 24)

    async def test_a_locked_sheet_is_read_only(self, client: httpx.AsyncClient, klass: Class) -> None:  # noqa: F811
        s0 = klass.students[0]
        held = local_today() - timedelta(days=10)
        locked = await klass.open_sheet("ON", held)
        await portal_sign_in(client, klass.teacher)
        listed = await client.get(
            f"{J}/sheets?group_id={klass.group['id']}&curriculum_subject_id={klass.line['id']}"
        )
        assert f'data-test="sheet-{locked["id"]}"' in listed.text and "yopilgan" in listed.text
        page = await client.get(f"{J}/sheets/{locked['id']}")
        assert page.status_code == 200
        assert 'data-test="locked-note"' in page.text and 'data-test="save"' not in page.text
        assert re.search(rf'name="p{s0["id"]}"[^>]*readonly', page.text)
        assert (held + timedelta(days=2)).strftime("%d.%m.%Y") in page.text
        refused = await client.post(f"{J}/sheets/{locked['id']}", data=sheet_form({s0["id"]: ("10", "", "")}))
        assert refused.status_code == 409 and 'data-test="error"' in refused.text
        assert await marks(client, klass.world.auth, locked["id"]) == {}

    async def test_over_the_absence_limit_highlighted_and_barred_from_the_final(
        self,
        client: httpx.AsyncClient,
        klass: Class,  # noqa: F811
    ) -> None:
        s0, s1, s2 = klass.students
        auth = klass.world.auth
        for day in range(1, 9):  # 16 of the subject's 60 classroom hours: over the 25 % bar
            response = await client.post(
                f"{A}/attendance/absences",
                json={"student_id": s2["id"], "curriculum_subject_id": klass.line["id"], "lesson_pair": 2,
                      "lesson_date": (local_today() - timedelta(days=day)).isoformat(), "training_type": "11"},
                headers=auth,
            )  # fmt: skip
            assert response.status_code == 201, response.text
        await portal_sign_in(client, klass.teacher)
        listed = await client.get(
            f"{J}/absences?group_id={klass.group['id']}&curriculum_subject_id={klass.line['id']}"
        )
        assert listed.status_code == 200, listed.text
        assert 'data-test="over-bar"' in row(listed.text, s2["id"])
        assert 'data-test="over-bar"' not in row(listed.text, s0["id"])
        assert "1 nafar talaba" in listed.text
        roll = await client.get(klass.attendance_url())
        assert 'class="over"' in row(roll.text, s2["id"]) and 'class="over"' not in row(roll.text, s1["id"])
        final = await klass.open_sheet("YN")
        page = await client.get(f"{J}/sheets/{final['id']}")
        assert 'data-test="over-bar"' in row(page.text, s2["id"])
        refused = await client.post(
            f"{J}/sheets/{final['id']}", data=sheet_form({s0["id"]: ("40", "", ""), s2["id"]: ("35", "", "")})
        )
        assert refused.status_code == 409, refused.text  # the bar refuses s2's final mark
        assert (
            f'data-test="error-{s2["id"]}"' in refused.text
            and f'data-test="error-{s0["id"]}"' not in refused.text
        )
        assert await marks(client, auth, final["id"]) == {}
        chooser = await client.get(f"{J}/absences")
        assert f"group_id={klass.group['id']}" in chooser.text


class TestWhoMay:
    async def test_another_teacher_a_student_and_another_university(
        self,
        client: httpx.AsyncClient,
        klass: Class,  # noqa: F811
        admin: dict[str, str],
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        s0 = klass.students[0]
        sheet = klass.sheet["id"]
        other = await build_class(client, admin, maker, tenants["alpha"])
        # A teacher of other groups, editing ids in the URL: refused, nothing written.
        await portal_sign_in(client, other.teacher)
        assert (await client.get(klass.attendance_url())).status_code == 403
        posted = await client.post(klass.attendance_url(), data={"absent": [str(s0["id"])]})
        assert posted.status_code == 403
        assert await absent_hours(client, klass.world.auth, klass, s0) == 0
        assert (await client.get(f"{J}/sheets/{sheet}")).status_code == 403
        marked = await client.post(f"{J}/sheets/{sheet}", data=sheet_form({s0["id"]: ("10", "", "")}))
        assert marked.status_code == 403
        assert await marks(client, klass.world.auth, sheet) == {}
        absences = await client.get(
            f"{J}/absences?group_id={klass.group['id']}&curriculum_subject_id={klass.line['id']}"
        )
        assert absences.status_code == 403
        assert (await client.get(f"{J}/sheets/{10**12}")).status_code == 404
        mine = await client.get(f"{J}/sheets")
        assert f'data-test="sheet-{other.sheet["id"]}"' in mine.text
        assert f'data-test="sheet-{sheet}"' not in mine.text
        # Their own student in someone else's lesson is not theirs to mark either.
        smuggled = await client.post(other.attendance_url(), data={"absent": [str(s0["id"])]})
        assert smuggled.status_code == 422 and f'data-test="error-{s0["id"]}"' not in smuggled.text
        assert await absent_hours(client, klass.world.auth, klass, s0) == 0
        client.cookies.clear()

        # A student: the journal is not theirs.
        await portal_sign_in(client, await student_account(maker, tenants["alpha"], s0["id"]))
        for path in ("/teacher", f"/journal/sheets/{sheet}", "/journal/sheets", "/journal/absences"):
            refused = await client.get(f"{P}{path}")
            assert refused.status_code == 403, path
            assert "o'qituvchilar uchun" in html.unescape(refused.text)
        refused = await client.post(f"{J}/sheets/{sheet}", data=sheet_form({s0["id"]: ("30", "", "")}))
        assert refused.status_code == 403
        assert await marks(client, klass.world.auth, sheet) == {}
        client.cookies.clear()

        # The teacher's session at another university: nobody is signed in there.
        await portal_sign_in(client, klass.teacher)  # the cookie goes to the same host's other paths
        beta = "/t/beta/portal"
        for method, path in (
            ("GET", "/teacher"),
            ("GET", f"/journal/sheets/{sheet}"),
            ("POST", f"/journal/sheets/{sheet}"),
        ):
            answer = await client.request(method, f"{beta}{path}")
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"].startswith(f"{beta}/login?")
        # Nobody signed in at all: to the sign-in page, which brings the teacher back.
        client.cookies.clear()
        nobody = await client.get(klass.attendance_url())
        assert nobody.status_code == 303 and "next=" in nobody.headers["location"]
