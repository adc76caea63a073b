"""Groups, students and their history of one university are invisible and untouchable from another."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from hemis.core.auth import Role
from tenants.testing import run_as_tenant
from tests.conftest import TokenFactory
from tests.isolation import assert_isolated
from tests.students.conftest import student_body


class TestOverHttp:
    async def test_group_and_student(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any], token_for: TokenFactory
    ) -> None:
        beta = await token_for("beta", Role.REGISTRAR)
        await assert_isolated(
            client,
            "/api/v1/groups",
            group,
            owner=("alpha", admin),
            other=("beta", beta),
            patch={"name": "Buzilgan"},
            search=group["name"],
        )
        body = student_body(group)
        student = (await client.post("/t/alpha/api/v1/students", json=body, headers=admin)).json()
        await assert_isolated(
            client,
            "/api/v1/students",
            student,
            owner=("alpha", admin),
            other=("beta", beta),
            patch={"last_name": "Buzilgan"},
            search=body["student_id_number"],
        )
        seen = await client.get(f"/t/beta/api/v1/students/{student['id']}", headers=beta)
        if seen.status_code == 404:  # no student of that id at beta: nothing to move there either
            moved = await client.post(
                f"/t/beta/api/v1/students/{student['id']}/status",
                json={"status": "13", "reason": "Begona"},
                headers=beta,
            )
            assert moved.status_code == 404
        history = (
            await client.get(f"/t/alpha/api/v1/students/{student['id']}/status-history", headers=admin)
        ).json()
        assert [h["new_status"] for h in history] == ["11"]


async def _as_alpha(app_db: AsyncEngine, settings: Settings, sql: str) -> None:
    await run_as_tenant(app_db, settings.tenancy.role_prefix, "alpha", sql)


class TestHistoryIsInsertOnly:
    @pytest.mark.parametrize(
        "sql", ["UPDATE student_status_change SET reason = 'x'", "DELETE FROM student_status_change"]
    )
    async def test_tenant_role_cannot_rewrite_history(
        self, app_db: AsyncEngine, settings: Settings, sql: str
    ) -> None:
        with pytest.raises(DBAPIError, match="permission denied for table student_status_change"):
            await _as_alpha(app_db, settings, sql)
