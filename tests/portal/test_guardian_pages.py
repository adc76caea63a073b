"""The guardians' (parents') pages over HTTP: a guardian sees the marks and attendance of the
students the registrar linked to them, nothing of any other student whatever the URL says, loses
access with the link, and nobody else (students, teachers, another university) gets in."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.identity.models import UserAccount
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.portal.conftest import P, check_page, portal_sign_in, student_account
from tests.portal.teaching import teacher_account
from tests.results.conftest import Term
from tests.staff.test_controller import employee_body

A = "/t/alpha/api/v1"


async def guardian_account(maker: async_sessionmaker[AsyncSession], tenant: TenantRef) -> tuple[str, int]:
    """A guardian's account (the portal's test password): its user name and id."""
    username = await student_account(maker, tenant, None, Role.GUARDIAN)
    async with tenant_session(maker, tenant) as session:
        user_id = await session.scalar(select(UserAccount.id).where(UserAccount.username == username))
    assert user_id is not None
    return username, user_id


async def link(term: Term, student: dict[str, Any], user_id: int, relation: str = "mother") -> int:
    """The registrar links the guardian to the student through the API; the link's id."""
    made = await term.client.post(
        f"{A}/students/{student['id']}/guardians",
        json={"user_id": user_id, "relation": relation},
        headers=term.headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def absent_from(page: str) -> None:
    """Nothing of the other student (their name, their 97 in Fan A, their 18 in Fan B)."""
    assert "Boshqayeva" not in page and "Zilola" not in page
    assert ">97<" not in page and ">18<" not in page


@pytest.fixture
async def family(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    term: Term,
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """A child and a stranger of one group; the child's mother is signed in. (child, stranger, link id)"""
    child = await term.student(last_name="Karimov", first_name="Aziz")
    stranger = await term.student(last_name="Boshqayeva", first_name="Zilola")
    await term.marks(child, "A", "25", "15", "40")  # 80
    await term.absent(child, "B", 8)  # 16 of 60 hours: over the 25 % bar
    await term.marks(stranger, "A", "29", "19", "49")  # 97
    await term.marks(stranger, "B", "5", "3", "10")  # 18: a debt
    username, user_id = await guardian_account(maker, tenants["alpha"])
    link_id = await link(term, child, user_id)
    await portal_sign_in(client, username)
    return child, stranger, link_id


async def test_the_linked_childs_marks_and_attendance(
    client: httpx.AsyncClient, family: Any, term: Term
) -> None:
    child, _, _ = family
    # One child: the portal's home and the list go straight to that child's page.
    home = await client.get(f"{P}/")
    assert home.status_code == 303 and home.headers["location"] == f"{P}/children"
    listed = await client.get(f"{P}/children")
    assert listed.status_code == 303 and listed.headers["location"] == f"{P}/children/{child['id']}"

    page = check_page(await client.get(f"{P}/children/{child['id']}"))
    assert "<h1>Karimov Aziz</h1>" in page and "1-kurs" in page and "ona" in page
    row = re.search(rf'data-test="subject-{term.lines["A"]["id"]}">(.*?)</tr>', page, re.DOTALL)
    assert row is not None
    cells = re.findall(r'<td class="n">([^<]*)</td>', row.group(1))
    assert cells[:4] == ["25", "15", "40", "80"], cells
    assert "GPA (1-o'quv yili)" in page
    # Attendance: missed-hour share per subject and the bar.
    assert "16/60" in page and "26,7" in page and "<meter" in page
    assert "yakuniy nazoratga qo'yilmagan" in page and "25\u00a0%" in page
    absent_from(page)
    # Marks and attendance only: no rank, money, stipends or notifications, one menu item.
    for other in ("Guruhdagi o'rin", "Kontrakt", "Stipendiya", "Yangi xabarlar", "nav-marks", "nav-finance"):
        assert other not in page, other
    assert 'data-test="nav-guardian.children"' in page

    # ?semester= like the student's marks page; a bad one is refused.
    spring = check_page(await client.get(f"{P}/children/{child['id']}?semester=12"))
    assert "2-semestr baholari" in spring and ">80<" not in spring
    assert (await client.get(f"{P}/children/{child['id']}?semester=x")).status_code in (400, 422)


async def test_another_child_by_url_is_refused(client: httpx.AsyncClient, family: Any) -> None:
    _, stranger, _ = family
    for url in (
        f"{P}/children/{stranger['id']}",
        f"{P}/children/{stranger['id']}?semester=11",
        f"{P}/children/{10**9}",
    ):
        refused = await client.get(url)
        assert refused.status_code == 404, url
        text = html.unescape(refused.text)
        assert 'data-test="message"' in text and "bog'lanmagan" in text
        absent_from(text)


async def test_two_children_are_listed(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    family: Any,
    term: Term,
) -> None:
    child, stranger, _ = family
    username, user_id = await guardian_account(maker, tenants["alpha"])
    await link(term, child, user_id, "father")
    await link(term, stranger, user_id, "father")
    await portal_sign_in(client, username)
    page = check_page(await client.get(f"{P}/children"))
    assert f'data-test="child-{child["id"]}"' in page and f'data-test="child-{stranger["id"]}"' in page
    assert page.index("Boshqayeva Zilola") < page.index("Karimov Aziz")  # by name
    assert "ota" in page
    check_page(await client.get(f"{P}/children/{stranger['id']}"))


async def test_unlinking_removes_access_on_the_next_request(
    client: httpx.AsyncClient, family: Any, term: Term
) -> None:
    child, _, link_id = family
    check_page(await client.get(f"{P}/children/{child['id']}"))
    removed = await client.delete(f"{A}/students/{child['id']}/guardians/{link_id}", headers=term.headers)
    assert removed.status_code == 204
    refused = await client.get(f"{P}/children/{child['id']}")
    assert refused.status_code == 404 and "Karimov" not in refused.text and ">80<" not in refused.text
    none = check_page(await client.get(f"{P}/children"))
    assert 'data-test="no-children"' in none and "Karimov" not in none


async def test_students_teachers_and_staff_are_refused(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    family: Any,
    term: Term,
) -> None:
    child, stranger, _ = family
    employee = await client.post(
        f"{A}/employees", json=employee_body(term.group["department_id"]), headers=term.headers
    )
    assert employee.status_code == 201, employee.text
    accounts = [
        await student_account(maker, tenants["alpha"], stranger["id"]),  # even the child's classmate
        await student_account(maker, tenants["alpha"], child["id"]),  # or the child themself
        await teacher_account(maker, tenants["alpha"], employee.json()["id"]),
        await student_account(maker, tenants["alpha"], None, Role.REGISTRAR),
    ]
    for username in accounts:
        client.cookies.clear()
        await portal_sign_in(client, username)
        for path in ("/children", f"/children/{child['id']}"):
            refused = await client.get(f"{P}{path}")
            assert refused.status_code == 403, (username, path)
            assert 'data-test="message"' in refused.text and "Karimov" not in refused.text


async def test_nobody_signed_in_is_sent_to_sign_in(client: httpx.AsyncClient, family: Any) -> None:
    child = family[0]
    client.cookies.clear()
    for path in ("/children", f"/children/{child['id']}"):
        answer = await client.get(f"{P}{path}")
        assert answer.status_code == 303
        location = answer.headers["location"]
        assert location.startswith(f"{P}/login?") and "next=%2Ft%2Falpha%2Fportal%2Fchildren" in location


async def test_a_link_of_alpha_opens_nothing_at_beta(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    token_for: TokenFactory,
    family: Any,
) -> None:
    child = family[0]
    secret = client.cookies.get("hemis_session")
    client.cookies.clear()
    stolen = {"Cookie": f"hemis_session={secret}"}
    assert (await client.get(f"{P}/children/{child['id']}", headers=stolen)).status_code == 200
    beta = "/t/beta/portal"
    for path in ("/children", f"/children/{child['id']}"):
        refused = await client.get(f"{beta}{path}", headers=stolen)
        assert refused.status_code == 303, path
        assert refused.headers["location"].startswith(f"{beta}/login")
    # A guardian of beta asking for alpha's child's id: beta has no such link (ids are per university).
    username, _ = await guardian_account(maker, tenants["beta"])
    await portal_sign_in(client, username, "beta")
    refused = await client.get(f"{beta}/children/{child['id']}")
    assert refused.status_code == 404 and "Karimov" not in refused.text
    assert 'data-test="no-children"' in check_page(await client.get(f"{beta}/children"))
    # Nor can beta's registrar see or remove alpha's link.
    beta_admin = await token_for("beta", Role.ADMIN)
    listed = await client.get(f"/t/beta/api/v1/students/{child['id']}/guardians", headers=beta_admin)
    assert listed.status_code == 404 or listed.json() == []


async def test_the_page_in_russian(client: httpx.AsyncClient, family: Any) -> None:
    child = family[0]
    # The language asked for on the list survives the redirect to the only child's page.
    listed = await client.get(f"{P}/children?l=ru")
    assert listed.headers["location"] == f"{P}/children/{child['id']}?l=ru"
    ru = check_page(await client.get(listed.headers["location"]), "ru")
    assert "Мои дети" in ru and "Оценки за 1 семестр" in ru and "Посещаемость за 1 семестр" in ru
    assert "не будет допущен" in ru
    check_page(await client.get(f"{P}/children/{child['id']}?l=en"), "en")
    check_page(await client.get(f"{P}/children/{child['id']}?l=oz"), "uz-Cyrl")
