"""Architectural rules checked on the source (polar's org_scope linter idea), plus models ↔ migrations."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import REPO_ROOT
from hemis.core.db import shared_metadata, tenant_metadata
from tenants import naming
from tenants.context import TenantRef

SRC = REPO_ROOT / "src" / "hemis"
SKIP = re.compile(r"(?:#|--)\s*lint-skip:\s*(\S+)")  # Python or SQL comment


def _python_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.py") if "migrations" not in p.parts]


_ROLE_SWITCH = re.compile(r"""(SET\s+(LOCAL\s+)?(ROLE|search_path)|set_config\(|f["']t_\{)""", re.IGNORECASE)


def commit_offenders(paths: list[Path]) -> list[str]:
    """`.commit` in a service: services flush, the request or job owns the transaction."""
    found = []
    for path in paths:
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            line = source.splitlines()[node.lineno - 1] if isinstance(node, ast.Attribute) else ""
            if isinstance(node, ast.Attribute) and node.attr == "commit" and not SKIP.search(line):
                found.append(f"{path.name}:{node.lineno}")
    return found


def identifier_offenders(paths: list[Path]) -> list[str]:
    """Role/search_path switches and t_<code> names are built only in tenants/."""
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if _ROLE_SWITCH.search(line) and not SKIP.search(line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    return found


class TestSourceRules:
    def test_services_never_commit(self) -> None:
        assert commit_offenders(list(SRC.rglob("service.py"))) == []

    def test_tenant_identifiers_and_role_switches_only_in_tenants(self) -> None:
        assert identifier_offenders(_python_files(SRC)) == []

    def test_rules_detect_planted_violations(self, tmp_path: Path) -> None:
        planted = tmp_path / "service.py"
        planted.write_text(
            'async def f(s, code):\n    await s.execute("SET search_path TO x")\n'
            '    name = f"t_{code}"\n    await s.commit()\n'
            "    await s.commit()  # lint-skip: test\n"
        )
        assert commit_offenders([planted]) == ["service.py:4"]
        assert [o.split(":")[1] for o in identifier_offenders([planted])] == ["2", "3"]


class TestModelsMatchMigrations:
    """`alembic revision --autogenerate` would produce nothing: models and migrations agree."""

    async def test_tenant_tree(self, owner: AsyncEngine, tenants: dict[str, TenantRef]) -> None:
        schema = naming.schema_name("alpha")
        ref_tables = {t.name for t in shared_metadata().tables.values()}

        def diff(sync_conn: object) -> list[object]:
            sync_conn.exec_driver_sql(f"SET LOCAL search_path TO {schema}")  # type: ignore[attr-defined]
            ctx = MigrationContext.configure(
                sync_conn,  # type: ignore[arg-type]
                opts={
                    "compare_type": True,
                    "include_name": lambda name, type_, _: (
                        not (type_ == "table" and (name == "alembic_version" or name in ref_tables))
                    ),
                },
            )
            return compare_metadata(ctx, tenant_metadata())

        async with owner.begin() as conn:
            assert await conn.run_sync(diff) == []

    async def test_shared_tree(self, owner: AsyncEngine, tenants: dict[str, TenantRef]) -> None:
        schemas = {naming.SHARED_SCHEMA, naming.REF_SCHEMA, naming.NATIONAL_SCHEMA}

        def diff(sync_conn: object) -> list[object]:
            ctx = MigrationContext.configure(
                sync_conn,  # type: ignore[arg-type]
                opts={
                    "compare_type": True,
                    "include_schemas": True,
                    "include_name": lambda name, type_, parents: (
                        name in schemas if type_ == "schema" else name != "alembic_version"
                    ),
                },
            )
            return compare_metadata(ctx, shared_metadata())

        async with owner.connect() as conn:
            assert await conn.run_sync(diff) == []
