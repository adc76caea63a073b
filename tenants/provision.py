"""Provisioning: platform roles once; per tenant role → schema → migrate → register → seed.

A tenant is created in ONE transaction (PostgreSQL DDL and CREATE ROLE are
transactional), so a failure or a kill leaves nothing half-made. The tests provision
their tenants through this same code path.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tenants import naming
from tenants.context import TenantKind, TenantRef
from tenants.migrate import lock_tenant, revoke_version_table, tenant_ddl, upgrade_shared_sync


class TenantExistsError(ValueError):
    """A tenant with this code (or one of its domains) is already registered."""


class TenantMissingError(LookupError):
    """No tenant with this code is registered."""


class InvalidTenantSpecError(ValueError):
    """A tenant field the registry cannot hold (named in `field`)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


@dataclass(slots=True)
class TenantSpec:
    code: str
    name_uz: str
    kind: TenantKind = TenantKind.UNIVERSITY
    name_oz: str = ""
    name_ru: str = ""
    name_en: str = ""
    hemis_code: str | None = None
    domains: Sequence[str] = field(default_factory=tuple)

    def validate(self) -> None:
        """Refuse what the registry columns cannot hold, before any DDL runs."""
        if not self.name_uz.strip():
            raise InvalidTenantSpecError("name_uz", "empty")
        for name in ("name_uz", "name_oz", "name_ru", "name_en"):
            if len(getattr(self, name)) > 255:
                raise InvalidTenantSpecError(name, "longer than 255 characters")
        if self.hemis_code is not None and not (self.hemis_code.isdigit() and len(self.hemis_code) <= 10):
            raise InvalidTenantSpecError("hemis_code", "not a number of up to 10 digits")


SeedFn = Callable[[AsyncConnection, TenantRef], Awaitable[None]]


async def _create_role_if_missing(conn: AsyncConnection, role: str, options: str) -> None:
    # CREATE ROLE has no IF NOT EXISTS; the name has been validated by `naming`.
    exists = await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if not exists:
        await conn.execute(text(f"CREATE ROLE {naming.quote(role)} {options}"))


async def ensure_platform(engine: AsyncEngine, prefix: str, app_password: str) -> None:
    """Create the platform roles and migrate the shared tree (idempotent; run before tenants)."""
    app, shared, ref_reader = (
        naming.app_role(prefix),
        naming.shared_role(prefix),
        naming.ref_reader_role(prefix),
    )
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('hemis.platform'))"))
        # NOINHERIT: logged in, the app role holds no tenant's rights until SET ROLE.
        await _create_role_if_missing(conn, app, "LOGIN NOINHERIT")
        await conn.execute(
            text(f"ALTER ROLE {naming.quote(app)} LOGIN NOINHERIT PASSWORD " + _literal(app_password))
        )
        await _create_role_if_missing(conn, shared, "NOLOGIN")
        await _create_role_if_missing(conn, ref_reader, "NOLOGIN")
        await conn.execute(text(f"GRANT {naming.quote(shared)} TO {naming.quote(app)}"))
        await conn.execute(text(f"GRANT {naming.quote(ref_reader)} TO {naming.quote(shared)}"))
        await conn.run_sync(upgrade_shared_sync)
        ref, sh = naming.REF_SCHEMA, naming.SHARED_SCHEMA
        await conn.execute(text(f"GRANT USAGE ON SCHEMA {ref} TO {naming.quote(ref_reader)}"))
        await conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {ref} TO {naming.quote(ref_reader)}"))
        await conn.execute(
            text(
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {ref} GRANT SELECT ON TABLES TO {naming.quote(ref_reader)}"
            )
        )
        await conn.execute(text(f"GRANT USAGE ON SCHEMA {sh} TO {naming.quote(shared)}"))
        await conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {sh} TO {naming.quote(shared)}"))
        # Platform staff sign in and open support grants through the app: the only shared rows
        # a request may write (accounts themselves are created by the CLI, as the owner).
        writable = f"{sh}.platform_session, {sh}.support_grant, {sh}.platform_login_throttle"
        # Staff actions in the consoles: written, never changed.
        await conn.execute(text(f"GRANT INSERT ON {sh}.platform_audit_event TO {naming.quote(shared)}"))
        await conn.execute(text(f"GRANT INSERT, UPDATE ON {writable} TO {naming.quote(shared)}"))
        await conn.execute(
            text(
                f"GRANT UPDATE (totp_last_step, updated_at) ON {sh}.platform_account TO {naming.quote(shared)}"
            )
        )
        await _national_access(conn, prefix)


# Tables of schema national holding one university's rows under tenant_role (hemis.rollups).
NATIONAL_FIGURES = (
    "attendance",
    "contingent",
    "demography",
    "finance",
    "freshness",
    "kpi",
    "performance",
    "staff",
    "stipend",
    "structure",
    "student_registry",
)


async def _national_access(conn: AsyncConnection, prefix: str) -> None:
    """Schema national: the worker's role writes it; the national tenant reads all of it; a
    university's role reads its own rows (row-level security on tenant_role) and the list of
    universities. Policies name roles, which carry the deployment's prefix, so they are made
    here rather than in a migration; DROP + CREATE keeps this idempotent."""
    writer, reader = naming.national_role(prefix), naming.national_reader_role(prefix)
    q_writer, q_reader = naming.quote(writer), naming.quote(reader)
    q_app, q_ref = naming.quote(naming.app_role(prefix)), naming.quote(naming.ref_reader_role(prefix))
    nat = naming.NATIONAL_SCHEMA
    await _create_role_if_missing(conn, writer, "NOLOGIN")
    await _create_role_if_missing(conn, reader, "NOLOGIN")
    statements = [
        f"GRANT {q_writer} TO {q_app}",
        f"GRANT {q_reader} TO {q_writer}",
        f"GRANT {q_ref} TO {q_writer}",
        f"GRANT USAGE ON SCHEMA {nat} TO {q_writer}, {q_ref}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {nat} TO {q_writer}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {nat} TO {q_ref}",
        f"ALTER TABLE {nat}.university ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS listed ON {nat}.university",
        f"CREATE POLICY listed ON {nat}.university FOR SELECT USING (true)",
        f"DROP POLICY IF EXISTS worker ON {nat}.university",
        f"CREATE POLICY worker ON {nat}.university TO {q_writer} USING (true) WITH CHECK (true)",
    ]
    for table in NATIONAL_FIGURES:
        statements += [
            f"ALTER TABLE {nat}.{table} ENABLE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS own ON {nat}.{table}",
            # tenant_role '': a region's or the country's total, for every university to compare with.
            f"CREATE POLICY own ON {nat}.{table} FOR SELECT USING (tenant_role IN (current_user, ''))",
            f"DROP POLICY IF EXISTS ministry ON {nat}.{table}",
            f"CREATE POLICY ministry ON {nat}.{table} FOR SELECT TO {q_reader} USING (true)",
            f"DROP POLICY IF EXISTS worker ON {nat}.{table}",
            f"CREATE POLICY worker ON {nat}.{table} TO {q_writer} USING (true) WITH CHECK (true)",
        ]
    # A national tenant made before these roles existed reads the country too (provisioning
    # grants it to new ones).
    ministries = await conn.scalars(text("SELECT code FROM shared.tenant WHERE kind = 'national'"))
    for code in ministries.all():
        role = naming.tenant_role(code, prefix)
        if await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
            statements.append(f"GRANT {q_reader} TO {naming.quote(role)}")
    await _run_script(conn, ";\n".join(statements) + ";")


async def _run_script(conn: AsyncConnection, script: str) -> None:
    """Run several statements in one round trip (asyncpg's simple-query protocol), in conn's transaction."""
    raw = await conn.get_raw_connection()
    await raw.driver_connection.execute(script)  # type: ignore[union-attr]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def default_domains(code: str, base_domain: str) -> list[str]:
    return [f"{code}.{base_domain}", f"{code}.localhost"]


async def provision(
    engine: AsyncEngine,
    spec: TenantSpec,
    *,
    prefix: str,
    base_domain: str,
    seed: SeedFn | None = None,
) -> TenantRef:
    """Create one tenant completely, or not at all."""
    code = naming.validate_code(spec.code)
    schema, role = naming.schema_name(code), naming.tenant_role(code, prefix)
    q_role, q_schema = naming.quote(role), naming.quote(schema)
    domains = [naming.validate_domain(d) for d in spec.domains] or default_domains(code, base_domain)
    spec.validate()
    async with engine.begin() as conn:
        # Serialise on the schema name, then check code, domains, schema and role at once.
        taken, schema_exists, role_exists = (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM shared.tenant t LEFT JOIN shared.tenant_domain d "
                    "        ON d.tenant_id = t.id WHERE t.code = :c OR d.domain = ANY(:d)), "
                    "       EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = :s), "
                    "       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r) "
                    "FROM (SELECT pg_advisory_xact_lock(hashtext(:s))) AS locked"
                ),
                {"c": code, "d": domains, "s": schema, "r": role},
            )
        ).one()
        if taken or schema_exists:
            raise TenantExistsError(code)
        # One simple-query round trip: role, grants, schema (its own statement, for
        # Citus), default privileges, the transaction's search_path, then the tenant tree.
        await _run_script(
            conn,
            "\n".join(
                [
                    "" if role_exists else f"CREATE ROLE {q_role} NOLOGIN;",
                    f"GRANT {q_role} TO {naming.quote(naming.app_role(prefix))};",
                    f"GRANT {naming.quote(naming.ref_reader_role(prefix))} TO {q_role};",
                    # The ministry's tenant reads every university's national rows.
                    (
                        f"GRANT {naming.quote(naming.national_reader_role(prefix))} TO {q_role};"
                        if spec.kind == TenantKind.NATIONAL
                        else ""
                    ),
                    f"CREATE SCHEMA {q_schema};",
                    f"GRANT USAGE ON SCHEMA {q_schema} TO {q_role};",
                    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q_schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q_role};",
                    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q_schema} GRANT USAGE, SELECT ON SEQUENCES TO {q_role};",
                    (
                        f"SELECT set_config('search_path', '{naming.tenant_search_path(code)}', true), "
                        f"set_config('hemis.tenant_role', '{role}', true);"
                    ),
                    tenant_ddl(),
                    revoke_version_table(schema, role),
                ]
            ),
        )
        try:
            tenant_id = await conn.scalar(
                text(
                    "WITH t AS (INSERT INTO shared.tenant (code, kind, status, name_uz, name_oz, name_ru, name_en, "
                    "hemis_code, created_at, updated_at) VALUES (:code, :kind, 'active', :uz, :oz, :ru, :en, :hc, "
                    "now(), now()) RETURNING id), "
                    "d AS (INSERT INTO shared.tenant_domain (domain, tenant_id, is_primary, created_at, updated_at) "
                    "SELECT dom, t.id, ord = 1, now(), now() FROM t, unnest(CAST(:domains AS text[])) "
                    "WITH ORDINALITY AS u(dom, ord)) "
                    "SELECT id FROM t"
                ),
                {
                    "code": code,
                    "kind": str(spec.kind),
                    "uz": spec.name_uz,
                    "oz": spec.name_oz,
                    "ru": spec.name_ru,
                    "en": spec.name_en,
                    "hc": spec.hemis_code,
                    "domains": domains,
                },
            )
        except IntegrityError as exc:  # a concurrent create took the code or a domain
            raise TenantExistsError(code) from exc
        ref = TenantRef(id=int(tenant_id), code=code, kind=spec.kind)
        if seed is not None:
            await seed(conn, ref)  # search_path still points at the new schema
    return ref


def pg_dump_binary() -> str:
    """pgserver's pg_dump (16) can dump both the embedded server and PostgreSQL 15."""
    try:
        import pgserver

        candidate = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
        if candidate.exists():
            return str(candidate)
    except ImportError:  # pragma: no cover - pgserver is a dependency
        pass
    found = shutil.which("pg_dump")
    if not found:
        raise RuntimeError("pg_dump not found")
    return found


def dump_schema(url: str, schema: str, dump_dir: Path, snapshot: str | None = None) -> Path:
    """Write a plain-SQL dump of one tenant schema (as of `snapshot` if given); raises if pg_dump fails."""
    parsed = make_url(url)
    dump_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = dump_dir / f"{schema}-{stamp}.sql"
    # The password goes through the environment: a command line is visible to `ps`.
    libpq_url = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})}
    command = [
        pg_dump_binary(),
        "--schema",
        schema,
        "--no-owner",
        "--file",
        str(target),
        "--dbname",
        libpq_url,
    ]
    if snapshot:
        command += ["--snapshot", snapshot]
    subprocess.run(command, check=True, capture_output=True, env=env)  # noqa: S603 - fixed binary, validated schema
    return target


async def drop(engine: AsyncEngine, url: str, code: str, *, prefix: str, dump_dir: Path) -> Path:
    """Dump, then drop one tenant's schema, role, registry rows and national figures, in one transaction.

    Writers are locked out (EXCLUSIVE still lets pg_dump read) and pg_dump reads the
    transaction's exported snapshot, so the dump holds exactly what is dropped.
    """
    schema, role = naming.schema_name(code), naming.tenant_role(code, prefix)
    async with engine.begin() as conn:
        await lock_tenant(conn, schema)
        if not await conn.scalar(text("SELECT 1 FROM shared.tenant WHERE code = :c FOR UPDATE"), {"c": code}):
            raise TenantMissingError(code)
        tables = (
            (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}))
            .scalars()
            .all()
        )
        if tables:
            names = ", ".join(f"{naming.quote(schema)}.{naming.quote(t)}" for t in tables)
            await conn.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
        snapshot = await conn.scalar(text("SELECT pg_export_snapshot()"))
        dump = await asyncio.to_thread(dump_schema, url, schema, dump_dir, snapshot)
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {naming.quote(schema)} CASCADE"))
        await conn.execute(text("DELETE FROM shared.tenant WHERE code = :c"), {"c": code})
        # Its figures leave the national roll-ups with it (the region and country totals follow at
        # the worker's next write); the dump keeps the data they were computed from.
        for table in (*NATIONAL_FIGURES, "university"):
            await conn.execute(
                text(f"DELETE FROM {naming.NATIONAL_SCHEMA}.{table} WHERE tenant_code = :c"), {"c": code}
            )
        if await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
            # Default privileges and grants in this database go first, then the role. An owner
            # that is not a superuser must be a member of the role to DROP OWNED BY it.
            await conn.execute(text(f"GRANT {naming.quote(role)} TO CURRENT_USER"))
            await conn.execute(text(f"DROP OWNED BY {naming.quote(role)}"))
            await conn.execute(text(f"DROP ROLE {naming.quote(role)}"))
    return dump
