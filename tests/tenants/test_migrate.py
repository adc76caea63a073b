"""The migration runner: every tenant to head, --continue, and kill -9 at any point is safe (T14)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from hemis.platform import create_tenant, drop_tenant
from tenants import naming
from tenants.migrate import downgrade_tenant_sync, tenant_head, tenant_revision_sync
from tenants.provision import TenantSpec

CODES = [f"mig{i:02d}" for i in range(8)]
PREVIOUS = "e88200aa2420"  # the revision before head: head adds founded_year and tin


@pytest.fixture(scope="module")
async def old_tenants(owner: AsyncEngine, settings: Settings, tenants: object) -> AsyncIterator[list[str]]:
    for code in CODES:
        await create_tenant(owner, settings, TenantSpec(code=code, name_uz=f"Test {code}"))
    yield CODES
    for code in CODES:
        await drop_tenant(owner, settings, code)


async def _set_back(owner: AsyncEngine, settings: Settings, codes: list[str]) -> None:
    for code in codes:
        async with owner.begin() as conn:
            await conn.run_sync(
                downgrade_tenant_sync,
                naming.schema_name(code),
                naming.tenant_role(code, settings.tenancy.role_prefix),
                PREVIOUS,
            )


async def _state(owner: AsyncEngine, code: str) -> tuple[str | None, bool]:
    """(version row, whether head's column exists): the two must always agree."""
    schema = naming.schema_name(code)
    async with owner.connect() as conn:
        version = await conn.run_sync(tenant_revision_sync, schema)
        has_column = bool(
            await conn.scalar(
                text(
                    "SELECT 1 FROM information_schema.columns WHERE table_schema = :s "
                    "AND table_name = 'institution_profile' AND column_name = 'founded_year'"
                ),
                {"s": schema},
            )
        )
    return version, has_column


def _cli(settings: Settings, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.db.url,
        "HEMIS_TENANCY__ROLE_PREFIX": settings.tenancy.role_prefix,
        "HEMIS_DB__APP_PASSWORD": settings.db.app_password,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "hemis", "tenants", "migrate", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


@pytest.mark.slow
class TestMigrateAll:
    async def test_brings_every_tenant_to_head(
        self, owner: AsyncEngine, settings: Settings, old_tenants: list[str]
    ) -> None:
        await _set_back(owner, settings, old_tenants)
        proc = _cli(settings, "--json", "-j", "3")
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        report = json.loads(out)
        assert report["failed"] == 0
        assert {r["code"] for r in report["results"]} >= set(old_tenants)
        for code in old_tenants:
            assert await _state(owner, code) == (tenant_head(), True)

    async def test_failure_stops_and_exits_nonzero_then_continue_reports_all(
        self, owner: AsyncEngine, settings: Settings, old_tenants: list[str]
    ) -> None:
        await _set_back(owner, settings, old_tenants)
        broken = old_tenants[0]  # first in code order, so a -j 1 run meets it first
        async with owner.begin() as conn:
            await conn.execute(
                text(
                    f"ALTER TABLE {naming.schema_name(broken)}.institution_profile ADD COLUMN founded_year int"
                )
            )
        try:
            proc = _cli(settings, "--json", "-j", "1", *[f"--tenant={c}" for c in old_tenants])
            out, _ = proc.communicate(timeout=300)
            assert proc.returncode == 1
            stopped = json.loads(out)
            assert stopped["failed"] == 1
            assert stopped["skipped"] > 0  # stopped at the failure, and says which were not tried
            assert {r["code"] for r in stopped["results"]} == set(old_tenants)

            proc = _cli(settings, "--json", "-j", "2", "--continue", *[f"--tenant={c}" for c in old_tenants])
            out, _ = proc.communicate(timeout=300)
            assert proc.returncode == 1
            report = json.loads(out)
            assert [r["code"] for r in report["results"] if not r["ok"]] == [broken]
            assert "founded_year" in next(r["error"] for r in report["results"] if not r["ok"])
            for code in old_tenants[1:]:
                assert (await _state(owner, code))[0] == tenant_head()
            assert (await _state(owner, broken))[0] == PREVIOUS  # its failed transaction left nothing
        finally:
            async with owner.begin() as conn:
                await conn.execute(
                    text(
                        f"ALTER TABLE {naming.schema_name(broken)}.institution_profile DROP COLUMN founded_year"
                    )
                )

    async def test_kill_9_mid_run_then_rerun_ends_at_head(
        self, owner: AsyncEngine, settings: Settings, old_tenants: list[str]
    ) -> None:
        await _set_back(owner, settings, old_tenants)
        stuck = old_tenants[3]
        # Hold a lock that the stuck tenant's ALTER TABLE waits for, so the kill lands
        # inside that tenant's migration transaction, after others have committed.
        blocker = await owner.connect()
        await blocker.begin()
        await blocker.execute(
            text(f"LOCK TABLE {naming.schema_name(stuck)}.institution_profile IN ACCESS SHARE MODE")
        )
        proc = _cli(settings, "-j", "2", *[f"--tenant={c}" for c in old_tenants])
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                states = [await _state(owner, c) for c in old_tenants]
                if sum(1 for v, _ in states if v == tenant_head()) >= 2:
                    break
                await asyncio.sleep(0.2)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            await blocker.rollback()
            await blocker.close()
        states = {c: await _state(owner, c) for c in old_tenants}
        for code, (version, has_column) in states.items():
            assert version in (PREVIOUS, tenant_head()), code
            assert has_column == (version == tenant_head()), f"{code} half-migrated: {version}, {has_column}"
        assert states[stuck][0] == PREVIOUS
        assert any(v == tenant_head() for v, _ in states.values())

        rerun = _cli(settings, "--json", *[f"--tenant={c}" for c in old_tenants])
        _, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err
        for code in old_tenants:
            assert await _state(owner, code) == (tenant_head(), True)
