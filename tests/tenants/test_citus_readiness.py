"""The static check that stands in for Citus: run against the real migrated database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tenants.citus import violations
from tenants.context import TenantRef


class TestMigratedDatabase:
    async def test_has_no_violations(self, owner: AsyncEngine, tenants: dict[str, TenantRef]) -> None:
        async with owner.connect() as conn:
            assert await violations(conn) == {}


class TestCheckerCatches:
    """Each rule must fire on a planted violation (rolled back afterwards)."""

    @pytest.mark.parametrize(
        ("rule", "ddl"),
        [
            (
                "foreign_key_across_schemas",
                "CREATE TABLE t_beta.bad (id bigint PRIMARY KEY, p bigint REFERENCES t_alpha.institution_profile(id))",
            ),
            (
                "foreign_key_across_schemas",
                "CREATE TABLE national.bad (id bigint PRIMARY KEY, p bigint REFERENCES t_alpha.institution_profile(id))",
            ),
            ("narrow_key_column", "CREATE TABLE t_alpha.bad (id serial PRIMARY KEY)"),
            (
                "narrow_key_column",
                "CREATE TABLE t_alpha.bad (id integer GENERATED ALWAYS AS IDENTITY, x int)",
            ),
            ("inheritance", "CREATE TABLE t_alpha.bad () INHERITS (t_alpha.audit_event)"),
            (
                "inheritance",
                (
                    "CREATE TABLE t_alpha.pp (id bigint, k int) PARTITION BY LIST (k); "
                    "CREATE TABLE t_beta.bad PARTITION OF t_alpha.pp FOR VALUES IN (1)"
                ),
            ),
            ("table_in_public", "CREATE TABLE public.bad (id bigint PRIMARY KEY)"),
        ],
    )
    async def test_rule_fires(
        self, owner: AsyncEngine, tenants: dict[str, TenantRef], rule: str, ddl: str
    ) -> None:
        async with owner.connect() as conn:
            trans = await conn.begin()
            try:
                for statement in ddl.split("; "):
                    await conn.execute(text(statement))
                found = await violations(conn)
            finally:
                await trans.rollback()
        assert rule in found, found
        assert any("bad" in item for item in found[rule])

    async def test_fk_into_ref_is_allowed(self, owner: AsyncEngine, tenants: dict[str, TenantRef]) -> None:
        async with owner.connect() as conn:
            trans = await conn.begin()
            try:
                await conn.execute(
                    text(
                        "CREATE TABLE t_alpha.ok (id bigint PRIMARY KEY, c varchar(64) REFERENCES ref.classifier(code))"
                    )
                )
                found = await violations(conn)
            finally:
                await trans.rollback()
        assert found == {}
