"""Local sign-in and server-side sessions (RELIABILITY.md T11, T12): rotation, sign-out, disabling,
an admin ending sessions, TOTP for admins with replay refused, limits that hold under
concurrency, audited failures, and sessions bound to one university."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from hemis.core.auth import Role
from hemis.identity import totp
from hemis.identity.signin import name_digest
from tenants.testing import run_as_tenant
from tests.conftest import TokenFactory
from tests.results.conftest import Term
from tests.students.conftest import student_body

A = "/t/alpha/api/v1"
ADMIN_SET = "Kuchli-parol-2026"  # what the admin gives; changed by the user at first sign-in
PASSWORD = "Ozimniki-parol-2026"


@pytest.fixture
async def admin(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ADMIN)


async def new_user(
    client: httpx.AsyncClient, admin: dict[str, str], *, ready: bool = True, **overrides: Any
) -> dict[str, Any]:
    """An account as an admin opens it; `ready`: the user has also replaced the admin's password."""
    body = {
        "username": f"u{uuid.uuid4().hex[:10]}",
        "display_name": "Karimova Madina",
        "roles": ["registrar"],
        "password": ADMIN_SET,
    } | overrides
    response = await client.post(f"{A}/users", json=body, headers=admin)
    assert response.status_code == 201, response.text
    if ready:
        first = await login(client, body["username"], ADMIN_SET)
        changed = await client.post(
            f"{A}/auth/password",
            json={"current_password": ADMIN_SET, "new_password": PASSWORD},
            headers=cookie(first),
        )
        client.cookies.clear()
        assert changed.status_code == 204, changed.text
    return dict(response.json())


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, base: str = A, **extra: Any
) -> httpx.Response:
    response = await client.post(
        f"{base}/auth/login", json={"username": username, "password": password} | extra
    )
    client.cookies.clear()  # tests pass cookies explicitly, as separate browsers would
    return response


def cookie(response: httpx.Response) -> dict[str, str]:
    return {"Cookie": f"hemis_session={response.cookies['hemis_session']}"}


async def me(client: httpx.AsyncClient, headers: dict[str, str], base: str = A) -> int:
    return (await client.get(f"{base}/access/me", headers=headers)).status_code


class TestSignIn:
    async def test_sign_in_gives_an_http_only_session(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await new_user(client, admin, ready=False)
        response = await login(client, user["username"].upper(), ADMIN_SET)  # user names are case-insensitive
        assert response.status_code == 200, response.text
        assert response.json()["must_change_password"] is True  # an admin set the password
        set_cookie = response.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie
        # Until the user replaces it, the account may do nothing else.
        assert await me(client, cookie(response)) == 403
        same = await client.post(
            f"{A}/auth/password",
            json={"current_password": ADMIN_SET, "new_password": ADMIN_SET},
            headers=cookie(response),
        )
        assert same.status_code == 422 and same.json()["field"] == "new_password"
        wrong = await client.post(
            f"{A}/auth/password",
            json={"current_password": "Notogri-parol-1", "new_password": PASSWORD},
            headers=cookie(response),
        )
        assert wrong.status_code == 401 and wrong.json()["field"] == "current_password"
        changed = await client.post(
            f"{A}/auth/password",
            json={"current_password": ADMIN_SET, "new_password": PASSWORD},
            headers=cookie(response),
        )
        assert changed.status_code == 204
        client.cookies.clear()
        got = await client.get(f"{A}/access/me", headers=cookie(response))
        assert got.json()["subject"] == f"user:{user['id']}" and got.json()["roles"] == ["registrar"]

    @pytest.mark.parametrize("which", ["wrong password", "unknown user"])
    async def test_bad_credentials_are_one_answer_and_audited(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        which: str,
        app_db: AsyncEngine,
        settings: Settings,
    ) -> None:
        user = await new_user(client, admin)
        name = user["username"] if which == "wrong password" else f"nobody{uuid.uuid4().hex[:6]}"
        response = await login(client, name, "Notogri-parol-1")
        assert response.status_code == 401 and response.json()["code"] == "identity.bad_credentials"
        rows = await run_as_tenant(
            app_db,
            settings.tenancy.role_prefix,
            "alpha",
            "SELECT count(*) FROM audit_event WHERE action = 'auth.login_failed' "
            f"AND data->>'username_sha256' = '{name_digest(name.lower())}' AND data::text NOT LIKE '%{name}%'",
        )
        assert rows[0][0] == 1

    async def test_link_required_by_role(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        for role, link in (("student", "student_id"), ("dean", "faculty_id"), ("teacher", "employee_id")):
            response = await client.post(
                f"{A}/users",
                json={"username": f"u{uuid.uuid4().hex[:8]}", "display_name": "X Y", "roles": [role]},
                headers=admin,
            )
            assert response.status_code == 422 and response.json()["field"] == link


class TestSessionLifecycle:
    """T11: every old session is refused."""

    async def test_sign_in_again_rotates_the_session(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await new_user(client, admin)
        first = await login(client, user["username"])
        second = await client.post(
            f"{A}/auth/login",
            json={"username": user["username"], "password": PASSWORD},
            headers=cookie(first),
        )
        client.cookies.clear()
        assert second.cookies["hemis_session"] != first.cookies["hemis_session"]
        assert await me(client, cookie(first)) == 401
        assert await me(client, cookie(second)) == 200

    async def test_sign_out_then_replay(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        session = cookie(await login(client, (await new_user(client, admin))["username"]))
        assert (await client.post(f"{A}/auth/logout", headers=session)).status_code == 204
        client.cookies.clear()
        assert await me(client, session) == 401

    @pytest.mark.parametrize("how", ["disable", "end sessions", "reset password", "change roles"])
    async def test_admin_actions_end_every_session(
        self, client: httpx.AsyncClient, admin: dict[str, str], how: str
    ) -> None:
        user = await new_user(client, admin)
        sessions = [cookie(await login(client, user["username"])) for _ in range(2)]
        assert all([await me(client, s) == 200 for s in sessions])
        url = f"{A}/users/{user['id']}"
        if how == "disable":
            action = await client.patch(url, json={"active": False}, headers=admin)
        elif how == "end sessions":
            action = await client.post(f"{url}/sessions/end", headers=admin)
        elif how == "reset password":
            action = await client.post(
                f"{url}/password", json={"password": "Yangi-parol-2026"}, headers=admin
            )
        else:
            action = await client.patch(url, json={"roles": ["accountant"]}, headers=admin)
        assert action.status_code == 200, action.text
        assert [await me(client, s) for s in sessions] == [401, 401]
        if how == "disable":
            assert (await login(client, user["username"])).status_code == 401

    async def test_a_session_is_worth_nothing_at_another_university(
        self, client: httpx.AsyncClient, admin: dict[str, str], token_for: TokenFactory
    ) -> None:
        user = await new_user(client, admin)
        session = cookie(await login(client, user["username"]))
        assert await me(client, session, base="/t/beta/api/v1") == 401
        beta_users = await client.get(
            "/t/beta/api/v1/users", params={"limit": 200}, headers=await token_for("beta", Role.ADMIN)
        )
        assert user["username"] not in {u["username"] for u in beta_users.json()["items"]}
        assert (await login(client, user["username"], base="/t/beta/api/v1")).status_code == 401


class TestSecondFactor:
    async def test_admins_need_a_fresh_totp_code(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await new_user(client, admin, ready=False, roles=["admin"])
        secret = user["totp_secret"]
        assert secret and user["totp_uri"].startswith("otpauth://totp/")
        listed = await client.get(f"{A}/users", params={"search": user["username"]}, headers=admin)
        assert "totp_secret" not in listed.text  # shown once, at creation
        without = await login(client, user["username"], ADMIN_SET)
        # The same answer as a wrong password: a right password is not confirmed without the code.
        assert without.status_code == 401 and without.json()["code"] == "identity.bad_credentials"
        assert (
            await login(client, user["username"], ADMIN_SET, totp="١٢٣٤٥٦")
        ).status_code == 401  # not ASCII digits
        code = totp.code_at(secret, int(time.time() // totp.STEP))
        signed_in = await login(client, user["username"], ADMIN_SET, totp=code)
        assert signed_in.status_code == 200, signed_in.text
        replay = await login(client, user["username"], ADMIN_SET, totp=code)
        assert replay.status_code == 401

    async def test_anyone_may_turn_on_their_own_second_factor(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await new_user(client, admin)
        session = cookie(await login(client, user["username"]))
        enrolled = await client.post(f"{A}/auth/totp", headers=session)
        assert enrolled.status_code == 200, enrolled.text
        secret = enrolled.json()["totp_secret"]
        assert enrolled.json()["totp_uri"].startswith("otpauth://totp/")
        # Until a code confirms it, nothing changes: signing in needs no code yet.
        assert (await login(client, user["username"])).status_code == 200
        step = int(time.time() // totp.STEP)
        wrong = await client.post(f"{A}/auth/totp/confirm", json={"code": "000000"}, headers=session)
        if totp.code_at(secret, step) != "000000":
            assert wrong.status_code == 422 and wrong.json()["field"] == "code"
        confirmed = await client.post(
            f"{A}/auth/totp/confirm", json={"code": totp.code_at(secret, step)}, headers=session
        )
        assert confirmed.status_code == 204, confirmed.text
        assert (await client.post(f"{A}/auth/totp", headers=session)).status_code == 409  # on already
        # Now every sign-in needs a code, and the code used to confirm cannot sign in again.
        assert (await login(client, user["username"])).status_code == 401
        assert (await login(client, user["username"], totp=totp.code_at(secret, step))).status_code == 401
        listed = await client.get(f"{A}/users", params={"search": user["username"]}, headers=admin)
        assert listed.json()["items"][0]["second_factor"] is True

    async def test_api_tokens_have_no_second_factor(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        assert (await client.post(f"{A}/auth/totp", headers=admin)).status_code == 403


class TestRateLimits:
    """T12: hammered at ten times the limit, at once, over many connections."""

    async def test_limit_holds_under_concurrency(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await new_user(client, admin)
        attempts = await asyncio.gather(
            *[
                client.post(
                    f"{A}/auth/login", json={"username": user["username"], "password": "Notogri-parol-1"}
                )
                for _ in range(50)
            ]
        )
        statuses = [r.status_code for r in attempts]
        assert statuses.count(401) <= 5 and statuses.count(429) >= 45
        # Even the right password waits for the window now.
        right = await login(client, user["username"])
        assert right.status_code == 429 and right.json()["code"] == "identity.too_many_attempts"


async def new_employee(
    client: httpx.AsyncClient, registrar: dict[str, str], faculty_id: int
) -> dict[str, Any]:
    """An employee of a new chair (kafedra) in the faculty."""
    kafedra = await client.post(
        f"{A}/structure/departments",
        json={
            "code": f"K{uuid.uuid4().hex[:6]}",
            "name": "Oliy matematika kafedrasi",
            "structure_type": "12",
            "parent_id": faculty_id,
        },
        headers=registrar,
    )
    assert kafedra.status_code == 201, kafedra.text
    employee = await client.post(
        f"{A}/employees",
        json={
            "employee_id_number": f"{uuid.uuid4().int % 10**10:010d}",
            "last_name": "Rasulov",
            "first_name": "Anvar",
            "birth_date": "1980-03-04",
            "gender": "11",
            "department_id": kafedra.json()["id"],
            "position": "docent",
            "employment_form": "main",
            "rate": "1.0",
        },
        headers=registrar,
    )
    assert employee.status_code == 201, employee.text
    return dict(employee.json())


class TestScope:
    """Per-object rights: a teacher marks only the groups and subjects assigned to them, a
    student reads only their own results, a dean works only in their faculty, a tutor follows
    only the groups they are curator of."""

    async def test_a_tutor_follows_only_their_groups_and_marks_nothing(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: Term
    ) -> None:
        registrar = term.headers
        employee = await new_employee(client, registrar, term.group["department_id"])
        missing = await client.patch(
            f"{A}/groups/{term.group['id']}", json={"tutor_id": 10**12}, headers=registrar
        )
        assert missing.status_code == 422 and missing.json()["field"] == "tutor_id"
        assert (await client.post(f"{A}/users", json={"username": f"t{uuid.uuid4().hex[:8]}",
                "display_name": "Tyutor", "roles": ["tutor"]}, headers=admin)).json()["field"] == "employee_id"  # fmt: skip
        mine = await term.student()
        tutor = cookie(
            await login(
                client,
                (await new_user(client, admin, roles=["tutor"], employee_id=employee["id"]))["username"],
            )
        )
        # Not yet the group's curator: the student is out of reach.
        assert (await client.get(f"{A}/students/{mine['id']}", headers=tutor)).status_code == 403
        named = await client.patch(
            f"{A}/groups/{term.group['id']}", json={"tutor_id": employee["id"]}, headers=registrar
        )
        assert named.status_code == 200 and named.json()["tutor_id"] == employee["id"]
        assert (await client.get(f"{A}/students/{mine['id']}", headers=tutor)).status_code == 200
        assert (await client.get(f"{A}/results/students/{mine['id']}", headers=tutor)).status_code == 200
        listed = await client.get(f"{A}/students", params={"limit": 200}, headers=tutor)
        assert {s["group_id"] for s in listed.json()["items"]} == {term.group["id"]}
        other_group = await client.post(f"{A}/groups", json={**{k: term.group[k] for k in (
            "department_id", "education_type", "education_form", "education_lang", "course", "admission_year")},
            "name": f"X-{uuid.uuid4().hex[:6]}"}, headers=registrar)  # fmt: skip
        assert other_group.status_code == 201, other_group.text
        stranger = (
            await client.post(f"{A}/students", json=student_body(other_group.json()), headers=registrar)
        ).json()
        assert (await client.get(f"{A}/students/{stranger['id']}", headers=tutor)).status_code == 403
        # Following is not marking.
        sheet = await term.sheet("A", "JN")
        marked = await client.post(
            f"{A}/grading/sheets/{sheet['id']}/marks",
            json={"student_id": mine["id"], "points": "20"},
            headers=tutor,
        )
        assert marked.status_code == 403

    async def test_teacher_student_and_dean_scopes(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: Term
    ) -> None:
        registrar = term.headers
        employee = await new_employee(client, registrar, term.group["department_id"])
        assigned = await client.post(
            f"{A}/teaching-assignments",
            json={
                "employee_id": employee["id"],
                "curriculum_subject_id": term.lines["A"]["id"],
                "group_id": term.group["id"],
                "training_type": "11",
            },
            headers=registrar,
        )
        assert assigned.status_code == 201, assigned.text
        teacher = await new_user(client, admin, roles=["teacher"], employee_id=employee["id"])
        teacher_session = cookie(await login(client, teacher["username"]))
        pupil, other = await term.student(), await term.student()

        async def mark(key: str, headers: dict[str, str]) -> httpx.Response:
            sheet = await term.sheet(key, "JN")
            return await client.post(
                f"{A}/grading/sheets/{sheet['id']}/marks",
                json={"student_id": pupil["id"], "points": "20"},
                headers=headers,
            )

        assert (await mark("A", teacher_session)).status_code == 201  # assigned: subject A of this group
        refused = await mark("B", teacher_session)  # subject B is somebody else's
        assert refused.status_code == 403 and refused.json()["field"] == "sheet_id"
        sheet_b = await term.sheet("B", "JN")
        assert (
            await client.get(f"{A}/grading/sheets/{sheet_b['id']}/marks", headers=teacher_session)
        ).status_code == 403
        listed = await client.get(f"{A}/students", params={"limit": 200}, headers=teacher_session)
        assert {s["group_id"] for s in listed.json()["items"]} == {term.group["id"]}  # only the taught group

        student = await new_user(client, admin, roles=["student"], student_id=pupil["id"])
        student_session = cookie(await login(client, student["username"]))
        own = await client.get(f"{A}/results/students/{pupil['id']}", headers=student_session)
        assert own.status_code == 200 and own.json()["items"]
        theirs = await client.get(f"{A}/results/students/{other['id']}", headers=student_session)
        assert theirs.status_code == 403
        marks = await client.get(
            f"{A}/results/students/{other['id']}/marks", params={"semester": "11"}, headers=student_session
        )
        assert marks.status_code == 403
        cannot_mark = await mark("A", student_session)
        assert cannot_mark.status_code == 403

        elsewhere = await client.post(
            f"{A}/structure/departments",
            json={
                "code": f"F{uuid.uuid4().hex[:6]}",
                "name": "Iqtisodiyot fakulteti",
                "structure_type": "11",
            },
            headers=registrar,
        )
        dean = await new_user(client, admin, roles=["dean"], faculty_id=elsewhere.json()["id"])
        dean_session = cookie(await login(client, dean["username"]))
        assert (await mark("B", dean_session)).status_code == 403  # not the dean's faculty
        own_dean = await new_user(client, admin, roles=["dean"], faculty_id=term.group["department_id"])
        assert (await mark("B", cookie(await login(client, own_dean["username"])))).status_code == 201


async def test_permission_denials_are_audited(
    client: httpx.AsyncClient, admin: dict[str, str], app_db: AsyncEngine, settings: Settings
) -> None:
    user = await new_user(client, admin, roles=["accountant"])
    session = cookie(await login(client, user["username"]))
    denied = await client.get(f"{A}/users", headers=session)  # accounts are for admins
    assert denied.status_code == 403
    rows: list[Any] = []
    for _ in range(50):  # written after the response, in a transaction of its own
        rows = await run_as_tenant(
            app_db,
            settings.tenancy.role_prefix,
            "alpha",
            f"SELECT data->>'path' FROM audit_event WHERE action = 'auth.denied' AND actor = 'user:{int(user['id'])}'",
        )
        if rows:
            break
        await asyncio.sleep(0.05)
    assert [r[0] for r in rows] == ["/t/alpha/api/v1/users"]


async def test_attendance_is_scoped_like_marks(
    client: httpx.AsyncClient, admin: dict[str, str], term: Term
) -> None:
    pupil = await term.student()
    elsewhere = await client.post(
        f"{A}/structure/departments",
        json={"code": f"F{uuid.uuid4().hex[:6]}", "name": "Tarix fakulteti", "structure_type": "11"},
        headers=term.headers,
    )
    foreign_dean = await new_user(client, admin, roles=["dean"], faculty_id=elsewhere.json()["id"])
    own_dean = await new_user(client, admin, roles=["dean"], faculty_id=term.group["department_id"])
    absence = {
        "student_id": pupil["id"],
        "curriculum_subject_id": term.lines["A"]["id"],
        "lesson_date": "2026-11-02",
        "lesson_pair": 1,
        "training_type": "11",
    }
    foreign = cookie(await login(client, foreign_dean["username"]))
    own = cookie(await login(client, own_dean["username"]))
    refused = await client.post(f"{A}/attendance/absences", json=absence, headers=foreign)
    assert refused.status_code == 403 and refused.json()["field"] == "student_id"
    recorded = await client.post(f"{A}/attendance/absences", json=absence, headers=own)
    assert recorded.status_code == 201, recorded.text
    url = f"{A}/attendance/absences/{recorded.json()['id']}/excuse"
    assert (await client.post(url, json={"document": "Ma'lumotnoma 12"}, headers=foreign)).status_code == 403
    assert (await client.post(url, json={"document": "Ma'lumotnoma 12"}, headers=own)).status_code == 201


async def test_changing_ones_password_ends_the_other_sessions(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    user = await new_user(client, admin)
    here, elsewhere = [cookie(await login(client, user["username"])) for _ in range(2)]
    changed = await client.post(
        f"{A}/auth/password",
        json={"current_password": PASSWORD, "new_password": "Yana-yangi-parol-7"},
        headers=here,
    )
    client.cookies.clear()
    assert changed.status_code == 204, changed.text
    assert (await me(client, here), await me(client, elsewhere)) == (200, 401)
    tokens = await client.post(
        f"{A}/auth/password",
        json={"current_password": "x", "new_password": "Yana-yangi-parol-8"},
        headers=admin,
    )
    assert tokens.status_code == 403  # an API token has no password to change


async def test_a_write_from_another_site_does_not_ride_on_the_cookie(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    user = await new_user(client, admin)
    session = cookie(await login(client, user["username"]))
    body = {"current_password": PASSWORD, "new_password": "Boshqa-sayt-parol-1"}
    forged = await client.post(
        f"{A}/auth/password", json=body, headers=session | {"Origin": "https://evil.example"}
    )
    assert forged.status_code == 401  # the cookie signs nobody in for a cross-site write
    same_site = await client.post(
        f"{A}/auth/password", json=body, headers=session | {"Origin": "http://testserver"}
    )
    assert same_site.status_code == 204, same_site.text
    read = await client.get(f"{A}/access/me", headers=session | {"Origin": "https://evil.example"})
    assert read.status_code == 200  # reads change nothing; CORS keeps their answers from the other site
