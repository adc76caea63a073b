"""Notifications: a mark tells its student in the mark's own transaction (and a rolled-back mark
tells nobody), the timetable's notify_groups() tells whole groups in one statement, and a student
reads, counts and marks read only their own notifications, at their own university only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core import audit
from hemis.core.audit import AuditEvent
from hemis.core.auth import Role
from hemis.grading.models import Mark
from hemis.notifications.models import Notification
from hemis.notifications.service import notify_groups
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.notifications.conftest import signed_in
from tests.results.conftest import Term
from tests.students.conftest import new_group, student_body

A = "/t/alpha/api/v1"
N = f"{A}/notifications"


@pytest.fixture
async def admin_token(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ADMIN)


async def pupil(term: Term, admin_token: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A student of the term's group, signed in."""
    student = await term.student()
    _, headers = await signed_in(term.client, admin_token, ["student"], student_id=student["id"])
    return student, headers


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], path: str = N, **params: Any
) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def count_for(maker: async_sessionmaker[AsyncSession], tenant: TenantRef, student_id: int) -> int:
    async with tenant_session(maker, tenant) as session:
        query = select(func.count()).where(Notification.student_id == student_id)
        return int(await session.scalar(query) or 0)


class TestMarkNotifications:
    async def test_a_new_mark_tells_its_student_in_their_language(
        self, term: Term, admin_token: dict[str, str]
    ) -> None:
        student, me = await pupil(term, admin_token)
        assert (await term.mark(student, "A", "JN", "25")).status_code == 201

        ru = await listed(term.client, me, l="ru")
        assert ru["total"] == 1
        item = ru["items"][0]
        assert item["kind"] == "mark" and item["read_at"] is None
        assert item["params"] == {
            "subject": "Fan A",
            "control": "JN",
            "points": "25.00",
            "max_points": "30.00",
        }
        assert item["title"] == "Новая оценка"
        assert item["body"] == "Fan A, текущий контроль: 25.00 из 30.00 баллов."
        uz = (await listed(term.client, me))["items"][0]  # Uzbek by default
        assert (uz["title"], uz["body"]) == ("Yangi baho", "Fan A, joriy nazorat: 25.00 / 30.00 ball.")
        en = (await listed(term.client, me, l="en"))["items"][0]
        assert en["body"] == "Fan A, current assessment: 25.00 of 30.00 points."

    async def test_a_changed_mark_tells_again_the_same_points_do_not(
        self,
        term: Term,
        admin_token: dict[str, str],
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        student, me = await pupil(term, admin_token)
        mark = (await term.mark(student, "A", "YN", "40")).json()
        corrected = await term.client.patch(
            f"{A}/grading/marks/{mark['id']}",
            json={"points": "45", "version": mark["version"], "reason": "Hisoblashda xato"},
            headers=term.headers,
        )
        assert corrected.status_code == 200, corrected.text
        async with tenant_session(maker, tenants["alpha"]) as session:
            await audit.bind_context(session, actor="tests", reason="the same points written again")
            # Points set to what they were (the history records the write, as it records every
            # write of points, so the chain stays whole for `hemis grades verify`): no notification.
            same = (
                update(Mark).where(Mark.id == mark["id"]).values(points=Mark.points, version=Mark.version + 1)
            )
            await session.execute(same)
            await session.commit()
        items = (await listed(term.client, me, l="en"))["items"]
        assert [i["params"]["points"] for i in items] == ["45.00", "40.00"]  # newest first
        assert items[0]["params"]["max_points"] == "50.00" and "final exam" in items[0]["body"]

    async def test_a_rolled_back_mark_leaves_no_notification(
        self,
        term: Term,
        admin_token: dict[str, str],
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        student, _ = await pupil(term, admin_token)
        sheet = await term.sheet("B", "JN")
        async with tenant_session(maker, tenants["alpha"]) as session:
            session.add(Mark(sheet_id=sheet["id"], student_id=student["id"], points=20))
            await session.flush()
            inside = await session.scalar(
                select(func.count()).where(Notification.student_id == student["id"])
            )
            assert inside == 1  # written by the trigger, in this transaction
            await session.rollback()
        assert await count_for(maker, tenants["alpha"], student["id"]) == 0


class TestNotifyGroups:
    async def test_one_notification_per_student_of_the_groups_in_one_statement(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        admin_token: dict[str, str],
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        groups = [await new_group(client, admin) for _ in range(3)]
        students = []
        for chosen in groups:
            for _ in range(2):
                response = await client.post(f"{A}/students", json=student_body(chosen), headers=admin)
                assert response.status_code == 201, response.text
                students.append(response.json())
        params = {"subject": "Fizika", "weekday": 2, "pair": 3}
        async with tenant_session(maker, tenants["alpha"]) as session:
            told = await notify_groups(
                session, [groups[0]["id"], groups[1]["id"]], "notification.schedule", params, actor="tests"
            )
            sent = await session.scalar(
                select(AuditEvent)
                .where(AuditEvent.action == "notification.sent")
                .order_by(AuditEvent.id.desc())
            )
            await session.commit()
        assert told == 4
        assert sent is not None and sent.data["students"] == 4 and sent.actor == "tests"
        counts = [await count_for(maker, tenants["alpha"], s["id"]) for s in students]
        assert counts == [1, 1, 1, 1, 0, 0]  # the third group was not told

        _, me = await signed_in(client, admin_token, ["student"], student_id=students[0]["id"])
        item = (await listed(client, me, l="ru"))["items"][0]
        assert (item["kind"], item["title"]) == ("schedule", "Расписание изменилось")
        assert item["body"] == "Fizika: Вторник, 3-я пара."

    async def test_no_groups_no_statement(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        async with tenant_session(maker, tenants["alpha"]) as session:
            assert await notify_groups(session, [], "notification.schedule", {}) == 0


class TestReading:
    async def test_count_page_poll_read_and_read_all(self, term: Term, admin_token: dict[str, str]) -> None:
        student, me = await pupil(term, admin_token)
        for control, points in (("JN", "20"), ("ON", "15"), ("YN", "30")):
            assert (await term.mark(student, "A", control, points)).status_code == 201
        client = term.client
        count = await client.get(f"{N}/unread-count", headers=me)
        assert count.status_code == 200 and count.json() == {"unread": 3}

        first = await listed(client, me, limit=2)
        assert (first["total"], len(first["items"])) == (3, 2)
        newest, oldest = first["items"][0]["id"], (await listed(client, me, offset=2))["items"][0]["id"]
        polled = await listed(client, me, after_id=oldest)
        assert [i["id"] for i in polled["items"]] == [newest, newest - 1]

        read = await client.post(f"{N}/{oldest}/read", headers=me)
        assert read.status_code == 200 and read.json()["read_at"] is not None
        again = await client.post(f"{N}/{oldest}/read", headers=me)
        assert again.json()["read_at"] == read.json()["read_at"]  # the first reading is kept
        assert (await client.get(f"{N}/unread-count", headers=me)).json() == {"unread": 2}
        assert [i["id"] for i in (await listed(client, me, unread="true"))["items"]] == [newest, newest - 1]

        marked = await client.post(f"{N}/read-all", headers=me)
        assert marked.status_code == 200 and marked.json() == {"marked": 2}
        assert (await client.get(f"{N}/unread-count", headers=me)).json() == {"unread": 0}

    async def test_another_students_notification_is_not_found(
        self, term: Term, admin_token: dict[str, str]
    ) -> None:
        _, me = await pupil(term, admin_token)
        theirs, them = await pupil(term, admin_token)
        await term.mark(theirs, "A", "JN", "21")
        their_id = (await listed(term.client, them))["items"][0]["id"]

        assert (await listed(term.client, me))["total"] == 0
        refused = await term.client.post(f"{N}/{their_id}/read", headers=me, params={"l": "en"})
        assert refused.status_code == 404 and refused.json()["field"] == "id"
        assert (await term.client.post(f"{N}/read-all", headers=me)).json() == {"marked": 0}
        assert (await term.client.get(f"{N}/unread-count", headers=them)).json() == {"unread": 1}

    async def test_staff_and_student_tokens_without_a_student_are_refused(
        self, client: httpx.AsyncClient, admin: dict[str, str], token_for: TokenFactory
    ) -> None:
        assert (await client.get(N, headers=admin)).status_code == 403  # a registrar: not their page
        machine = await token_for("alpha", Role.STUDENT)
        refused = await client.get(f"{N}/unread-count", headers=machine, params={"l": "ru"})
        assert refused.status_code == 403
        assert "студентом" in refused.json()["detail"]
        assert (await client.get(N)).status_code == 401


class TestIsolation:
    async def test_another_university_sees_and_marks_nothing(
        self, term: Term, admin_token: dict[str, str], token_for: TokenFactory
    ) -> None:
        student, me = await pupil(term, admin_token)
        await term.mark(student, "A", "JN", "22")
        row = (await listed(term.client, me))["items"][0]
        client = term.client

        beta_registrar = await token_for("beta", Role.REGISTRAR)
        beta_group = await new_group(client, beta_registrar, tenant="beta")
        beta_student = await client.post(
            "/t/beta/api/v1/students", json=student_body(beta_group), headers=beta_registrar
        )
        _, beta_me = await signed_in(
            client,
            await token_for("beta", Role.ADMIN),
            ["student"],
            "beta",
            student_id=beta_student.json()["id"],
        )
        beta = "/t/beta/api/v1/notifications"
        assert all(i["id"] != row["id"] or i == row for i in (await listed(client, beta_me, beta))["items"])
        assert (await client.post(f"{beta}/{row['id']}/read", headers=beta_me)).status_code == 404
        await client.post(f"{beta}/read-all", headers=beta_me)
        assert (await client.get(f"{beta}/unread-count", headers=me)).status_code == 401  # alpha's session
        client.cookies.clear()  # the 401 asked this "browser" to drop its cookie

        after = (await listed(client, me))["items"][0]
        assert after == row and after["read_at"] is None
