"""The student's pages over HTTP: what they show, in which language, and that a student sees only
their own records whatever the URL says."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.core.clock import local_today
from tenants.context import TenantRef
from tests.finance.conftest import Setup
from tests.portal.conftest import P, check_page, portal_sign_in, student_account
from tests.results.conftest import Term
from tests.students.conftest import student_body
from tests.timetable.conftest import build_world

PAGES = ("/", "/marks", "/attendance", "/finance", "/stipends", "/notifications")


@pytest.fixture
async def two(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    term: Term,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two students of one group with different marks; the first is signed in."""
    me = await term.student(last_name="Karimov", first_name="Aziz")
    other = await term.student(last_name="Boshqayeva", first_name="Zilola")
    await term.marks(me, "A", "25", "15", "40")  # 80: grade 4
    await term.marks(other, "A", "29", "19", "49")  # 97
    await term.marks(other, "B", "5", "3", "10")  # 18: a debt
    await term.absent(other, "B", 8)  # 16 of 60 hours: over the bar
    await portal_sign_in(client, await student_account(maker, tenants["alpha"], me["id"]))
    return me, other


async def test_every_page_is_small_strict_and_in_uzbek(client: httpx.AsyncClient, two: Any) -> None:
    for path in PAGES:
        check_page(await client.get(f"{P}{path}"))


async def test_marks_standing_and_debts(client: httpx.AsyncClient, two: Any, term: Term) -> None:
    home = check_page(await client.get(f"{P}/"))
    assert "Karimov Aziz" in home
    assert "Fan A" in home and ">80<" in home
    marks = check_page(await client.get(f"{P}/marks?semester=11"))
    row = re.search(rf'data-test="subject-{term.lines["A"]["id"]}">(.*?)</tr>', marks, re.DOTALL)
    assert row is not None
    cells = re.findall(r'<td class="n">([^<]*)</td>', row.group(1))
    assert cells == ["25", "15", "40", "80", "4 (B)"] or cells[:4] == ["25", "15", "40", "80"], cells
    # First of two in the group: the other student's debt in Fan B pulls their GPA below 4.
    assert re.search(r"<b>1/2</b><span>Guruhdagi o'rin", marks), marks
    assert "Akademik qarzdorlik yo'q." in marks
    # A mark entered afterwards shows on reload.
    me = two[0]
    await term.marks(me, "B", "10", "10", "10")
    again = check_page(await client.get(f"{P}/marks"))
    assert "Fan B" in again and "akademik qarzdorlik" in again


async def test_a_student_never_sees_another_students_records(
    client: httpx.AsyncClient, two: Any, term: Term
) -> None:
    _, other = two
    tries = [f"{P}{path}" for path in PAGES]
    tries += [
        f"{P}/marks?student_id={other['id']}",
        f"{P}/marks?semester=11&student={other['id']}",
        f"{P}/attendance?student_id={other['id']}",
        f"{P}/?student_id={other['id']}",
        f"{P}/stipends?student_id={other['id']}",
    ]
    for url in tries:
        response = await client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert "Boshqayeva" not in response.text and ">97<" not in response.text, url
        assert ">18<" not in response.text, url  # the other student's debt in Fan B
    assert (await client.get(f"{P}/marks?semester=x")).status_code == 422


async def test_attendance_over_the_bar(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    term: Term,
) -> None:
    student = await term.student()
    await term.absent(student, "A", 8)  # 16 unexcused hours of 60
    await portal_sign_in(client, await student_account(maker, tenants["alpha"], student["id"]))
    page = check_page(await client.get(f"{P}/attendance"))
    assert "16/60" in page and "26,7" in page
    assert "<meter" in page and "yakuniy nazoratga qo'yilmagan" in page
    home = check_page(await client.get(f"{P}/"))
    assert 'data-test="over-bar"' in home and "Fan A" in home


async def test_language_switch_is_remembered(client: httpx.AsyncClient, two: Any) -> None:
    ru = check_page(await client.get(f"{P}/marks?l=ru"), "ru")
    assert "Оценки" in ru and "Место в группе" in ru
    assert client.cookies.get("hemis_portal_lang") == "ru"
    again = check_page(await client.get(f"{P}/"), "ru")  # no ?l=: the cookie decides
    assert "Главная" in again
    check_page(await client.get(f"{P}/?l=en"), "en")
    check_page(await client.get(f"{P}/?l=oz"), "uz-Cyrl")


async def test_another_universitys_cookie_is_refused(client: httpx.AsyncClient, two: Any) -> None:
    secret = client.cookies.get("hemis_session")
    client.cookies.clear()
    stolen = {"Cookie": f"hemis_session={secret}"}
    assert (await client.get(f"{P}/", headers=stolen)).status_code == 200
    for path in PAGES:
        refused = await client.get(f"/t/beta/portal{path}", headers=stolen)
        assert refused.status_code == 303, path
        assert refused.headers["location"].startswith("/t/beta/portal/login")


async def test_staff_are_not_shown_a_students_pages(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
) -> None:
    await portal_sign_in(client, await student_account(maker, tenants["alpha"], None, Role.REGISTRAR))
    home = await client.get(f"{P}/")  # the registrar's portal is the timetable
    assert home.status_code == 303 and home.headers["location"] == f"{P}/timetable"
    for path in PAGES[1:]:
        response = await client.get(f"{P}{path}")
        assert response.status_code == 403, path
        assert 'data-test="message"' in response.text


async def test_finance_pay_button_opens_a_stripe_checkout(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    fin: Setup,
    providers: None,
) -> None:
    await fin.fee()
    student = await fin.student()
    other = await fin.student()
    contract = await fin.contract(student["id"])
    others = await fin.contract(other["id"])
    await portal_sign_in(client, await student_account(maker, tenants["alpha"], student["id"]))
    page = check_page(await client.get(f"{P}/finance"))
    assert contract["number"] in page and others["number"] not in page
    assert "checkout.stripe.com" in (await client.get(f"{P}/finance")).headers["content-security-policy"]
    assert 'data-test="pay"' in page
    pay = await client.post(f"{P}/finance/pay", data={"contract": contract["id"], "instalment": 1})
    assert pay.status_code == 303, pay.text
    assert pay.headers["location"].startswith("http"), pay.headers["location"]
    # Another student's contract id in the form: refused, and no checkout is made for it.
    refused = await client.post(f"{P}/finance/pay", data={"contract": others["id"], "instalment": 1})
    assert refused.status_code == 403
    assert 'data-test="error"' in refused.text and others["number"] not in refused.text
    checkouts = await client.get(
        f"/t/alpha/api/v1/finance/contracts/{others['id']}/ledger", headers=fin.accountant
    )
    assert checkouts.status_code == 200
    # Owing nothing: no pay button.
    nothing = await fin.student()
    await portal_sign_in(client, await student_account(maker, tenants["alpha"], nothing["id"]))
    assert 'data-test="pay"' not in check_page(await client.get(f"{P}/finance"))


async def test_the_home_page_shows_the_students_own_new_marks_as_notifications(
    client: httpx.AsyncClient, two: Any
) -> None:
    home = check_page(await client.get(f"{P}/"))
    notices = re.search(r'data-test="notifications">(.*?)</section>', home, re.DOTALL)
    assert notices is not None, "marks were entered for the student: their notifications show"
    assert "Yangi baho" in notices.group(1) and "Fan A, yakuniy nazorat: 40" in notices.group(1)
    assert "yakuniy nazorat: 49" not in notices.group(
        1
    )  # the other student's final in Fan A (not a bare "49": a time may hold it)
    russian = check_page(await client.get(f"{P}/?l=ru"), "ru")
    assert "Новые уведомления" in russian


async def test_the_home_page_shows_todays_and_this_weeks_lessons_of_the_students_group(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
) -> None:
    world = await build_world(client, admin)
    created = await client.post("/t/alpha/api/v1/students", json=student_body(world.groups[0]), headers=admin)
    assert created.status_code == 201, created.text
    today = local_today()
    weekday = min(today.isoweekday(), 6)  # on a Sunday the week shown is the one just ending
    span = {
        "valid_from": (today - timedelta(days=30)).isoformat(),
        "valid_to": (today + timedelta(days=30)).isoformat(),
    }
    mine = await client.post(
        f"{world.url}/lessons", json=world.lesson(weekday=weekday, pair=2, **span), headers=admin
    )
    assert mine.status_code == 201, mine.text
    theirs = await client.post(  # another group's lesson: not on this student's page
        f"{world.url}/lessons",
        json=world.lesson(
            weekday=weekday,
            pair=3,
            group_ids=[world.groups[1]["id"]],
            employee_id=world.teachers[1]["id"],
            training_type="13",
            **span,
        ),
        headers=admin,
    )
    assert theirs.status_code == 201, theirs.text
    await portal_sign_in(client, await student_account(maker, tenants["alpha"], created.json()["id"]))

    home = check_page(await client.get(f"{P}/"))
    week = re.search(r'data-test="week">(.*?)</div>', home, re.DOTALL)
    assert week is not None, home
    assert world.subject_name in week.group(
        1
    ) and '<b>2</b> <span class="muted">10:00–11:20</span>' in week.group(1)
    assert "<b>3</b>" not in week.group(1)  # the other group's pair
    today_list = re.search(r'data-test="today">(.*?)</(ul|p)>', home, re.DOTALL)
    assert today_list is not None
    if today.isoweekday() != 7:
        assert world.subject_name in today_list.group(1)
    russian = check_page(await client.get(f"{P}/?l=ru"), "ru")
    assert "Эта неделя" in russian and "ауд. " in russian


async def test_the_notifications_page_lists_the_students_own_and_marks_them_read(
    client: httpx.AsyncClient, two: Any
) -> None:
    listing = check_page(await client.get(f"{P}/notifications"))
    badge = re.search(r'data-test="unread">(\d+)<', listing)
    assert badge is not None and int(badge.group(1)) == 3  # JN, ON and YN of Fan A
    notices = re.search(r'data-test="notices">(.*?)</ul>', listing, re.DOTALL)
    assert notices is not None and notices.group(1).count('class="unread"') == 3
    assert "Fan A, joriy nazorat: 25" in notices.group(1)
    # The other student's marks (Fan A 29 / 19 / 49, and Fan B) are not among them. Their texts,
    # not bare numbers: a notification's id may well contain "29".
    for theirs in ("joriy nazorat: 29", "oraliq nazorat: 19", "yakuniy nazorat: 49", "Fan B"):
        assert theirs not in notices.group(1), theirs
    read = await client.post(f"{P}/notifications/read-all")
    assert read.status_code == 303 and read.headers["location"] == f"{P}/notifications"
    after = check_page(await client.get(f"{P}/notifications"))
    assert 'class="unread"' not in after and re.search(r'data-test="unread" hidden>0<', after)
    assert "Yangi xabarlar" not in check_page(await client.get(f"{P}/"))  # nothing unread on the home page
    foreign = await client.post(f"{P}/notifications/read-all", headers={"Origin": "https://evil.example"})
    assert foreign.status_code in (303, 403)
    assert (await client.get(f"{P}/notifications?page=2")).status_code == 200
    assert (await client.get(f"{P}/notifications?page=0")).status_code == 422  # named, as every bad input
