"""Marks: bounds and group checks, optimistic locking under concurrency (T7), an
insert-only hash-chained history that detects tampering (T8)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from hemis.core.auth import Role
from tenants.testing import run_as_tenant
from tests.conftest import TokenFactory
from tests.students.conftest import student_body

T = "/t/alpha/api/v1/grading"


async def _record(
    client: httpx.AsyncClient, headers: dict[str, str], term: dict[str, Any], points: str, student: int = 0
) -> httpx.Response:
    return await client.post(
        f"{T}/sheets/{term['sheet']['id']}/marks",
        json={"student_id": term["students"][student]["id"], "points": points},
        headers=headers,
    )


class TestRecord:
    async def test_record_and_history(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
    ) -> None:
        mark = await _record(client, admin, term, "27.5")
        assert mark.status_code == 201, mark.text
        history = (await client.get(f"{T}/marks/{mark.json()['id']}/history", headers=admin)).json()
        assert [(h["old_points"], float(h["new_points"]), h["reason"]) for h in history] == [
            (None, 27.5, "recorded")
        ]

    @pytest.mark.parametrize(("points", "status"), [("30.01", 422), ("-1", 422), ("30", 201)])
    async def test_points_are_bounded_by_the_control_maximum(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any], points: str, status: int
    ) -> None:
        response = await _record(client, admin, term, points)
        assert response.status_code == status
        if status == 422:
            assert response.json()["field"] == "points"

    async def test_student_outside_the_group_is_refused(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
    ) -> None:
        other_group = await client.post(
            "/t/alpha/api/v1/groups",
            json={
                "name": f"X-{uuid.uuid4().hex[:6]}",
                "department_id": term["group"]["department_id"],
                "education_type": "11",
                "education_form": "11",
                "education_lang": "11",
                "course": "11",
                "admission_year": 2025,
            },
            headers=admin,
        )
        outsider = await client.post(
            "/t/alpha/api/v1/students", json=student_body(other_group.json()), headers=admin
        )
        assert outsider.status_code == 201, outsider.text
        for student_id in (outsider.json()["id"], 99_999_999):  # a real student of another group, and nobody
            response = await client.post(
                f"{T}/sheets/{term['sheet']['id']}/marks",
                json={"student_id": student_id, "points": "10"},
                headers=admin,
            )
            assert response.status_code == 422
            assert response.json()["field"] == "student_id"

    async def test_second_mark_for_the_same_student_is_409(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
    ) -> None:
        assert (await _record(client, admin, term, "10")).status_code == 201
        assert (await _record(client, admin, term, "11")).status_code == 409

    async def test_locked_sheet_refuses_new_marks(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
    ) -> None:
        old = await client.post(
            f"{T}/sheets",
            json={
                "curriculum_subject_id": term["line"]["id"],
                "group_id": term["group"]["id"],
                "control_type": "ON",
                "held_on": (date.today() - timedelta(days=3)).isoformat(),
                "lock_after_days": 2,
            },
            headers=admin,
        )
        assert old.json()["locked"] is True
        response = await client.post(
            f"{T}/sheets/{old.json()['id']}/marks",
            json={"student_id": term["students"][0]["id"], "points": "10"},
            headers=admin,
        )
        assert response.status_code == 409
        assert response.json()["code"] == "grading.sheet_locked"

    async def test_students_cannot_write_marks(
        self, client: httpx.AsyncClient, term: dict[str, Any], token_for: TokenFactory
    ) -> None:
        student = await token_for("alpha", Role.STUDENT)
        assert (await _record(client, student, term, "10")).status_code == 403


class TestConcurrentCorrections:
    """T7: many editors, one version: exactly one wins, the rest get 409, nothing is lost."""

    async def test_one_commit_per_version(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any], token_for: TokenFactory
    ) -> None:
        mark = (await _record(client, admin, term, "10")).json()
        attempts = [
            client.patch(
                f"{T}/marks/{mark['id']}",
                json={"points": str(11 + i), "version": mark["version"], "reason": f"tuzatish {i}"},
                headers=admin,
            )
            for i in range(20)
        ]
        responses = await asyncio.gather(*attempts)
        codes = sorted(r.status_code for r in responses)
        assert codes.count(200) == 1, codes
        assert codes.count(409) == 19, codes
        winner = next(r.json() for r in responses if r.status_code == 200)
        history = (await client.get(f"{T}/marks/{mark['id']}/history", headers=admin)).json()
        assert len(history) == 2  # recorded + the one committed correction
        assert float(history[-1]["new_points"]) == float(winner["points"])
        auditor = await token_for("alpha", Role.ADMIN)
        report = (await client.get(f"{T}/history/verify", headers=auditor)).json()
        assert report["intact"] is True

    async def test_stale_version_names_the_field(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
    ) -> None:
        mark = (await _record(client, admin, term, "10")).json()
        body = {"points": "12", "version": mark["version"], "reason": "Xato kiritilgan"}
        assert (await client.patch(f"{T}/marks/{mark['id']}", json=body, headers=admin)).status_code == 200
        again = await client.patch(f"{T}/marks/{mark['id']}?l=ru", json=body, headers=admin)
        assert again.status_code == 409
        assert again.json()["field"] == "version"

    async def test_same_points_write_nothing(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
    ) -> None:
        mark = (await _record(client, admin, term, "10")).json()
        same = await client.patch(
            f"{T}/marks/{mark['id']}", json={"points": "10.00", "version": 1, "reason": "Yana"}, headers=admin
        )
        assert same.status_code == 200
        assert same.json()["version"] == 1
        assert len((await client.get(f"{T}/marks/{mark['id']}/history", headers=admin)).json()) == 1

    async def test_reason_is_required(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
    ) -> None:
        mark = (await _record(client, admin, term, "10")).json()
        response = await client.patch(
            f"{T}/marks/{mark['id']}", json={"points": "12", "version": 1}, headers=admin
        )
        assert response.status_code in (400, 422)
        assert response.json()["field"] == "reason"


async def _as_alpha(app_db: AsyncEngine, settings: Settings, sql: str) -> None:
    await run_as_tenant(app_db, settings.tenancy.role_prefix, "alpha", sql)


class TestHistoryIntegrity:
    """T8: the app role cannot rewrite history; a rewrite by a superuser is detected."""

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE grade_event SET new_points = 100",
            "DELETE FROM grade_event",
            "TRUNCATE grade_event",
            # A forged row with a valid-looking hash: only the trigger may write history.
            (
                "INSERT INTO grade_event (mark_id, student_id, sheet_id, new_points, actor, reason, request_id, at, "
                "prev_hash, hash) VALUES (1, 1, 1, 90, 'dean', 'appeal', '', now(), 'x', 'y')"
            ),
        ],
    )
    async def test_app_role_cannot_change_history(
        self, app_db: AsyncEngine, settings: Settings, sql: str
    ) -> None:
        with pytest.raises(DBAPIError, match="permission denied for table grade_event"):
            await _as_alpha(app_db, settings, sql)

    @pytest.mark.parametrize(
        ("sql", "table"),
        [
            ("DELETE FROM mark", "mark"),
            ("UPDATE mark SET student_id = student_id", "mark"),
            ("UPDATE mark SET sheet_id = sheet_id", "mark"),
        ],
    )
    async def test_marks_change_only_through_points(
        self, app_db: AsyncEngine, settings: Settings, sql: str, table: str
    ) -> None:
        with pytest.raises(DBAPIError, match=f"permission denied for table {table}"):
            await _as_alpha(app_db, settings, sql)

    async def test_deleting_the_newest_event_is_detected(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        term: dict[str, Any],
        owner: AsyncEngine,
        token_for: TokenFactory,
    ) -> None:
        auditor = await token_for("alpha", Role.ADMIN)
        mark = (await _record(client, admin, term, "20")).json()
        await client.patch(
            f"{T}/marks/{mark['id']}",
            json={"points": "21", "version": 1, "reason": "Tuzatish"},
            headers=admin,
        )
        async with owner.begin() as conn:
            row = (
                await conn.execute(
                    text(
                        "DELETE FROM t_alpha.grade_event WHERE id = (SELECT max(id) FROM t_alpha.grade_event) "
                        "RETURNING mark_id, student_id, sheet_id, old_points, new_points, actor, reason, request_id, at, "
                        "prev_hash, hash"
                    )
                )
            ).one()
        try:
            report = (await client.get(f"{T}/history/verify", headers=auditor)).json()
            assert report["intact"] is False
            assert mark["id"] in report["mismatched_mark_ids"]
        finally:
            async with owner.begin() as conn:  # put the row back, as the newest row
                await conn.execute(
                    text(
                        "INSERT INTO t_alpha.grade_event (mark_id, student_id, sheet_id, old_points, new_points, actor, "
                        "reason, request_id, at, prev_hash, hash) VALUES (:mark_id, :student_id, :sheet_id, "
                        ":old_points, :new_points, :actor, :reason, :request_id, :at, :prev_hash, :hash)"
                    ),
                    dict(row._mapping),
                )

    async def test_tampering_is_detected(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        term: dict[str, Any],
        owner: AsyncEngine,
        token_for: TokenFactory,
    ) -> None:
        auditor = await token_for("alpha", Role.ADMIN)
        mark = (await _record(client, admin, term, "15")).json()
        assert (await client.get(f"{T}/history/verify", headers=auditor)).json()["intact"] is True
        async with owner.begin() as conn:
            event_id = await conn.scalar(
                text("SELECT max(id) FROM t_alpha.grade_event WHERE mark_id = :m"), {"m": mark["id"]}
            )
            await conn.execute(
                text("UPDATE t_alpha.grade_event SET new_points = 30 WHERE id = :i"), {"i": event_id}
            )
        try:
            report = (await client.get(f"{T}/history/verify", headers=auditor)).json()
            assert report["intact"] is False
            assert event_id in report["broken_ids"]
        finally:
            async with owner.begin() as conn:  # put it back so later tests see an intact chain
                await conn.execute(
                    text("UPDATE t_alpha.grade_event SET new_points = 15 WHERE id = :i"), {"i": event_id}
                )

    async def test_shifting_text_between_fields_is_detected(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        term: dict[str, Any],
        owner: AsyncEngine,
        token_for: TokenFactory,
    ) -> None:
        auditor = await token_for("alpha", Role.ADMIN)
        mark = (await _record(client, admin, term, "12")).json()
        fixed = await client.patch(
            f"{T}/marks/{mark['id']}",
            json={"points": "13", "version": 1, "reason": "sabab|izoh"},
            headers=admin,
        )
        assert fixed.status_code == 200
        async with owner.begin() as conn:
            event_id, actor = (
                await conn.execute(
                    text(
                        "SELECT id, actor FROM t_alpha.grade_event WHERE mark_id = :m ORDER BY id DESC LIMIT 1"
                    ),
                    {"m": mark["id"]},
                )
            ).one()
            # Joined with "|", actor+"|sabab" / "izoh" reads the same as actor / "sabab|izoh".
            await conn.execute(
                text("UPDATE t_alpha.grade_event SET actor = :a, reason = 'izoh' WHERE id = :i"),
                {"a": f"{actor}|sabab", "i": event_id},
            )
        try:
            report = (await client.get(f"{T}/history/verify", headers=auditor)).json()
            assert event_id in report["broken_ids"]
        finally:
            async with owner.begin() as conn:
                await conn.execute(
                    text("UPDATE t_alpha.grade_event SET actor = :a, reason = 'sabab|izoh' WHERE id = :i"),
                    {"a": actor, "i": event_id},
                )

    async def test_history_of_alpha_is_not_beta_s(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any], token_for: TokenFactory
    ) -> None:
        mark = (await _record(client, admin, term, "9")).json()
        beta = await token_for("beta", Role.ADMIN)
        mine = (await client.get(f"{T}/marks/{mark['id']}/history", headers=admin)).json()
        seen = await client.get(f"/t/beta/api/v1/grading/marks/{mark['id']}/history", headers=beta)
        assert seen.status_code in (200, 404)
        if seen.status_code == 200:  # beta's own mark with the same id: never alpha's history
            assert seen.json() != mine
        patch = await client.patch(
            f"/t/beta/api/v1/grading/marks/{mark['id']}",
            json={"points": "1", "version": 1, "reason": "Begona"},
            headers=beta,
        )
        assert patch.status_code in (404, 409, 422)
        after = (await client.get(f"{T}/marks/{mark['id']}/history", headers=admin)).json()
        assert after == mine
        assert [float(e["new_points"]) for e in after] == [9.0]


class TestOddNumbers:
    @pytest.mark.parametrize(
        ("points", "field_code"),
        [
            ("NaN", "error.out_of_range"),
            ("Infinity", "error.out_of_range"),
            ("12.345", "error.decimal_places"),
        ],
    )
    async def test_are_named_4xx_not_500(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        term: dict[str, Any],
        points: str,
        field_code: str,
    ) -> None:
        response = await _record(client, admin, term, points)
        assert response.status_code == 422, response.text
        assert (response.json()["field"], response.json()["code"]) == ("points", field_code)

    @pytest.mark.parametrize("held_on", ["9999-12-31", "2090-01-01", "1990-01-01"])
    async def test_sheet_dates_are_bounded(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any], held_on: str
    ) -> None:
        response = await client.post(
            f"{T}/sheets",
            json={
                "curriculum_subject_id": term["line"]["id"],
                "group_id": term["group"]["id"],
                "control_type": "YN",
                "held_on": held_on,
            },
            headers=admin,
        )
        assert response.status_code == 422
        assert response.json()["field"] == "held_on"
