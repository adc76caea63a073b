"""The `hemis` command: tenants create|list|migrate|drop, db migrate, demo, serve.

Human output by default, `--json` for scripts. Every command reads the database from
HEMIS_DB__URL / DATABASE_URL, or starts the embedded PostgreSQL when neither is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings, get_settings
from hemis.core.auth import Role
from hemis.core.embedded import ensure_database_url
from tenants import naming
from tenants.context import TenantKind
from tenants.database import async_url, owner_engine
from tenants.migrate import TenantMigrationResult, migrate_tenants
from tenants.provision import InvalidTenantSpecError, TenantExistsError, TenantMissingError, TenantSpec

T = TypeVar("T")
console = Console(stderr=True)


def _settings() -> Settings:
    return ensure_database_url(get_settings())


def _with_engine(fn: Callable[[AsyncEngine, Settings], Awaitable[T]]) -> T:
    settings = _settings()

    async def run() -> T:
        engine = owner_engine(settings)
        try:
            return await fn(engine, settings)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _emit(as_json: bool, payload: Any, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        human()


@click.group()
def main() -> None:
    """hemis: multi-tenant higher-education management platform."""


@main.group()
def tenants() -> None:
    """Create, list, migrate and drop tenants (universities and the ministry)."""


@tenants.command("create")
@click.argument("code")
@click.option("--name", "name_uz", required=True, help="Name in Uzbek (Latin).")
@click.option("--name-ru", default="")
@click.option("--name-en", default="")
@click.option("--name-oz", default="")
@click.option("--kind", type=click.Choice([k.value for k in TenantKind]), default="university")
@click.option("--hemis-code", default=None)
@click.option(
    "--domain",
    "domains",
    multiple=True,
    help="Host name(s); default <code>.<base domain> and <code>.localhost.",
)
@click.option("--json", "as_json", is_flag=True)
def tenants_create(
    code: str,
    name_uz: str,
    name_ru: str,
    name_en: str,
    name_oz: str,
    kind: str,
    hemis_code: str | None,
    domains: tuple[str, ...],
    as_json: bool,
) -> None:
    """Provision a tenant: role, schema, migrations, domains, profile (all or nothing)."""
    from hemis.platform import create_tenant, setup_platform

    try:
        naming.validate_code(code)
    except naming.InvalidIdentifierError as exc:
        raise click.BadParameter(
            "lower-case letters, digits and _, 2-30 chars, starting with a letter", param_hint="CODE"
        ) from exc
    spec = TenantSpec(
        code=code,
        name_uz=name_uz,
        name_ru=name_ru,
        name_en=name_en,
        name_oz=name_oz,
        kind=TenantKind(kind),
        hemis_code=hemis_code,
        domains=domains,
    )

    async def run(engine: AsyncEngine, settings: Settings) -> Any:
        await setup_platform(engine, settings)
        return await create_tenant(engine, settings, spec)

    try:
        ref = _with_engine(run)
    except InvalidTenantSpecError as exc:
        raise click.BadParameter(
            str(exc), param_hint=f"--{exc.field.replace('_uz', '').replace('_', '-')}"
        ) from exc
    except naming.InvalidIdentifierError as exc:
        raise click.BadParameter(str(exc), param_hint="--domain") from exc
    except TenantExistsError:
        console.print(f"[red]tenant {code} already exists[/red]")
        sys.exit(1)
    _emit(
        as_json,
        {"id": ref.id, "code": ref.code, "schema": ref.schema, "kind": str(ref.kind)},
        lambda: console.print(f"created tenant [bold]{ref.code}[/bold] (schema {ref.schema})"),
    )


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True)
def tenants_list(as_json: bool) -> None:
    """List tenants with kind, status, schema version and domains."""
    from tenants.registry import describe_tenants

    async def run(engine: AsyncEngine, settings: Settings) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            return await describe_tenants(conn)

    items = _with_engine(run)

    def human() -> None:
        table = Table("code", "kind", "status", "version", "domains", "name")
        for t in items:
            table.add_row(
                t["code"], t["kind"], t["status"], t["version"] or "-", " ".join(t["domains"]), t["name"]
            )
        Console().print(table)

    _emit(as_json, items, human)


def run_migrations(
    settings: Settings,
    *,
    parallelism: int,
    keep_going: bool,
    codes: tuple[str, ...],
    as_json: bool,
    show_progress: bool = True,
) -> list[TenantMigrationResult]:
    from hemis.platform import setup_platform, tenant_codes

    async def prepare(engine: AsyncEngine, s: Settings) -> list[str]:
        await setup_platform(engine, s)  # the shared tree always goes first
        known = list(await tenant_codes(engine))
        return [c for c in known if not codes or c in codes]

    selected = _with_engine(prepare)
    unknown = set(codes) - set(selected)
    if unknown:
        raise click.BadParameter(f"unknown tenant(s): {', '.join(sorted(unknown))}", param_hint="--tenant")
    url = async_url(settings.db.url)
    progress = (
        None
        if as_json or not show_progress
        else Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
    )

    def on_result(i: int, n: int, r: TenantMigrationResult) -> None:
        if progress is None or task is None:
            return
        mark = {"ok": "[green]ok[/green]", "skipped": "[yellow]skipped[/yellow]"}.get(
            r.status, f"[red]FAILED[/red] {r.error}"
        )
        progress.console.print(
            f"[{i}/{n} {r.schema}] {r.before or '-'} → {r.after or '-'} {mark} ({r.seconds:.2f}s)"
        )
        progress.advance(task)

    with progress or contextlib.nullcontext():
        task = progress.add_task("migrating tenants", total=len(selected)) if progress else None
        return migrate_tenants(
            url,
            selected,
            prefix=settings.tenancy.role_prefix,
            parallelism=parallelism,
            keep_going=keep_going,
            on_result=on_result,
        )


@tenants.command("migrate")
@click.option("--parallel", "-j", type=click.IntRange(1, 64), default=None, help="Tenants migrated at once.")
@click.option(
    "--continue", "keep_going", is_flag=True, help="Go on after a tenant fails; report all failures."
)
@click.option("--tenant", "codes", multiple=True, help="Only these tenants (default: all).")
@click.option("--json", "as_json", is_flag=True)
def tenants_migrate(parallel: int | None, keep_going: bool, codes: tuple[str, ...], as_json: bool) -> None:
    """Migrate the shared schemas, then every tenant to head; exit 1 if any tenant failed."""
    settings = _settings()
    results = run_migrations(
        settings,
        parallelism=parallel or settings.tenancy.migrate_parallelism,
        keep_going=keep_going,
        codes=codes,
        as_json=as_json,
    )
    counts = Counter(r.status for r in results)

    def human() -> None:
        table = Table("tenant", "from", "to", "result", "seconds", title="Migration summary")
        for r in sorted(results, key=lambda r: r.code):
            table.add_row(
                r.code,
                r.before or "-",
                r.after or "-",
                f"FAILED: {r.error}" if r.status == "failed" else r.status,
                f"{r.seconds:.2f}",
            )
        Console().print(table)
        console.print(f"{counts['ok']} ok, {counts['failed']} failed, {counts['skipped']} skipped")

    payload = {
        "results": [r.as_dict() for r in results],
        "failed": counts["failed"],
        "skipped": counts["skipped"],
    }
    _emit(as_json, payload, human)
    if counts["failed"]:
        sys.exit(1)


@tenants.command("drop")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Required: dropping deletes the tenant's data (after a dump).")
@click.option("--json", "as_json", is_flag=True)
def tenants_drop(code: str, yes: bool, as_json: bool) -> None:
    """Dump the tenant's schema to a file, then drop schema, role and registry rows."""
    from hemis.platform import drop_tenant

    if not yes:
        raise click.UsageError("refusing to drop without --yes")
    try:
        dump = _with_engine(
            lambda engine, settings: drop_tenant(engine, settings, naming.validate_code(code))
        )
    except (TenantMissingError, naming.InvalidIdentifierError):
        console.print(f"[red]no tenant {code}[/red]")
        sys.exit(1)
    _emit(
        as_json, {"code": code, "dump": str(dump)}, lambda: console.print(f"dropped {code}; dump at {dump}")
    )


@main.group()
def tokens() -> None:
    """API tokens of a tenant (machine clients; HEMIS's Backend API tokens)."""


def _with_tenant_session(code: str, fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run fn(session) in one transaction of tenant `code`, as its role, and commit."""
    from hemis.platform import tenant_ref
    from tenants.session import make_sessionmaker, tenant_session

    async def run(engine: AsyncEngine, settings: Settings) -> T:
        ref = await tenant_ref(engine, naming.validate_code(code))
        async with tenant_session(make_sessionmaker(engine, settings.tenancy.role_prefix), ref) as session:
            result = await fn(session)
            await session.commit()
            return result

    try:
        return _with_engine(run)
    except (TenantMissingError, naming.InvalidIdentifierError):
        console.print(f"[red]no tenant {code}[/red]")
        sys.exit(1)


@tokens.command("create")
@click.argument("tenant")
@click.option("--name", required=True, help="Who uses it, e.g. 'Moodle sync'.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 365), help="Valid for.")
@click.option("--json", "as_json", is_flag=True)
def tokens_create(tenant: str, name: str, roles: tuple[str, ...], days: int, as_json: bool) -> None:
    """Issue a token; the secret is shown once."""
    from hemis.access.service import ApiTokenService

    async def issue(session: Any) -> tuple[Any, str]:
        return await ApiTokenService(session=session).issue(
            name, {Role(r) for r in roles}, by="cli", days=days
        )

    token, secret = _with_tenant_session(tenant, issue)
    _emit(
        as_json,
        {
            "id": token.id,
            "name": token.name,
            "roles": token.roles,
            "expires_at": token.expires_at,
            "token": secret,
        },
        lambda: console.print(f"token {token.id} for {tenant} ({', '.join(token.roles)}): {secret}"),
    )


@tokens.command("list")
@click.argument("tenant")
@click.option("--json", "as_json", is_flag=True)
def tokens_list(tenant: str, as_json: bool) -> None:
    """List a tenant's tokens (never their secrets)."""
    from hemis.access.service import ApiTokenService

    async def listing(session: Any) -> list[dict[str, Any]]:
        rows = await ApiTokenService(session=session).list()
        return [
            {
                "id": t.id,
                "name": t.name,
                "roles": t.roles,
                "created_at": t.created_at,
                "revoked_at": t.revoked_at,
            }
            for t in sorted(rows, key=lambda t: t.id)
        ]

    items = _with_tenant_session(tenant, listing)

    def human() -> None:
        table = Table("id", "name", "roles", "created", "revoked")
        for t in items:
            table.add_row(
                str(t["id"]),
                t["name"],
                ", ".join(t["roles"]),
                str(t["created_at"]),
                str(t["revoked_at"] or "-"),
            )
        Console().print(table)

    _emit(as_json, items, human)


@tokens.command("revoke")
@click.argument("tenant")
@click.argument("token_id", type=int)
def tokens_revoke(tenant: str, token_id: int) -> None:
    """Revoke a token at once."""
    from hemis.access.service import ApiTokenService
    from hemis.core.errors import NotFound

    async def revoke(session: Any) -> None:
        await ApiTokenService(session=session).revoke(token_id, by="cli")

    try:
        _with_tenant_session(tenant, revoke)
    except NotFound:
        console.print(f"[red]no token {token_id} at {tenant}[/red]")
        sys.exit(1)
    console.print(f"revoked token {token_id} of {tenant}")


@main.group()
def grades() -> None:
    """Grade history: verify a university's hash chain."""


@grades.command("verify")
@click.argument("tenant")
@click.option("--json", "as_json", is_flag=True)
def grades_verify(tenant: str, as_json: bool) -> None:
    """Recompute the grade history chain; exit 1 and list the rows if anything was altered."""
    from hemis.grading.service import MarkService

    async def verify(session: Any) -> tuple[int, list[int], list[int]]:
        return await MarkService(session, actor="cli").verify()

    events, broken_events, mismatched = _with_tenant_session(tenant, verify)
    broken = broken_events + mismatched
    _emit(
        as_json,
        {
            "tenant": tenant,
            "events": events,
            "broken_ids": broken_events,
            "mismatched_mark_ids": mismatched,
            "intact": not broken,
        },
        lambda: console.print(
            f"{tenant}: {events} events, "
            + ("chain intact" if not broken else f"[red]BROKEN at {', '.join(map(str, broken))}[/red]")
        ),
    )
    if broken:
        sys.exit(1)


@main.group()
def finance() -> None:
    """Finance jobs of a tenant."""


@finance.command("reconcile")
@click.option("--tenant", "tenant", required=True, help="The university's code.")
@click.option(
    "--since",
    default=None,
    help="ISO date or time (UTC if no zone); default 3 days ago, as long as Stripe retries. Stripe keeps 30 days.",
)
@click.option("--json", "as_json", is_flag=True)
def finance_reconcile(tenant: str, since: str | None, as_json: bool) -> None:
    """Ask Stripe for the events since --since and ingest any a webhook missed (stored ones count as duplicates)."""
    from datetime import UTC, datetime, timedelta

    from hemis.finance.providers.stripe import StripeGateway

    try:
        start = datetime.fromisoformat(since) if since else datetime.now(UTC) - timedelta(days=3)
    except ValueError as exc:
        raise click.BadParameter("an ISO date or time, e.g. 2026-12-01T00:00", param_hint="--since") from exc
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)

    async def run(session: Any) -> dict[str, int]:
        return await StripeGateway(session, get_settings().payments, tenant).reconcile(start)

    counts = _with_tenant_session(tenant, run)
    _emit(
        as_json,
        {"tenant": tenant, "since": start.isoformat(), "events": counts},
        lambda: console.print(
            f"{tenant}: {sum(counts.values())} events since {start.isoformat()}: "
            + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none")
        ),
    )


@main.group()
def notifications() -> None:
    """Students' notifications: the web push sender."""


@notifications.command("push")
@click.option("--once", is_flag=True, help="One pass over every university, then exit.")
@click.option(
    "--interval", default=5.0, show_default=True, type=click.FloatRange(0.5, 300), help="Seconds per round."
)
@click.option("--json", "as_json", is_flag=True)
def notifications_push(once: bool, interval: float, as_json: bool) -> None:
    """Send every university's new notifications to its students' browsers (web push; runs until
    stopped unless --once)."""
    from hemis.notifications.jobs import PushSender

    settings = _settings()
    if not settings.push.vapid_private_key:
        raise click.ClickException("web push is off: set HEMIS_PUSH__VAPID_PRIVATE_KEY")

    async def run(engine: AsyncEngine, settings: Settings) -> dict[str, int]:
        sender = PushSender(engine, settings.tenancy.role_prefix, settings.push)
        if not once:
            await sender.run_forever(interval=interval)
        done = await sender.run_once()
        return {name: getattr(done, name) for name in done.__slots__}

    result = _with_engine(run)
    _emit(
        as_json,
        result,
        lambda: console.print(
            f"{result['notifications']} notifications: {result['sent']} pushes sent, "
            f"{result['failed']} failed, {result['gone']} subscriptions gone, {result['stale']} too old"
        ),
    )


@main.group()
def rollups() -> None:
    """National roll-ups: the worker that keeps schema national current, and full recomputes."""


@rollups.command("worker")
@click.option(
    "--interval", default=5.0, show_default=True, type=click.FloatRange(0.5, 60), help="Seconds per round."
)
@click.option("--parallel", default=2, show_default=True, type=click.IntRange(1, 32))
def rollups_worker(interval: float, parallel: int) -> None:
    """Poll every university's outbox and apply its changes to schema national (runs until stopped)."""
    from hemis.rollups.worker import RollupWorker

    async def run(engine: AsyncEngine, settings: Settings) -> None:
        await RollupWorker(engine, settings.tenancy.role_prefix).run_forever(
            interval=interval, parallel=parallel
        )

    _with_engine(run)


@rollups.command("recompute")
@click.option("--tenant", "codes", multiple=True, help="Only these universities (default: all).")
@click.option("--parallel", default=2, show_default=True, type=click.IntRange(1, 32))
@click.option(
    "--results",
    is_flag=True,
    help="Also resolve every student's summed results from the marks again (slow: minutes for the country).",
)
@click.option("--json", "as_json", is_flag=True)
def rollups_recompute(codes: tuple[str, ...], parallel: int, results: bool, as_json: bool) -> None:
    """Recompute every figure of every (or the named) university from its own data: the repair path."""
    import time

    from hemis.rollups.worker import RollupWorker

    async def run(engine: AsyncEngine, settings: Settings) -> dict[str, Any]:
        worker = RollupWorker(engine, settings.tenancy.role_prefix)
        started = time.perf_counter()
        done = await worker.recompute(
            codes=[naming.validate_code(c) for c in codes], parallel=parallel, results=results
        )
        return {"universities": len(done), "seconds": round(time.perf_counter() - started, 2)}

    result = _with_engine(run)
    _emit(
        as_json,
        result,
        lambda: console.print(f"recomputed {result['universities']} universities in {result['seconds']} s"),
    )


@main.group()
def db() -> None:
    """Platform database: roles, shared schemas, classifiers."""


@db.command("migrate")
def db_migrate() -> None:
    """Create the platform roles and migrate the shared tree (tenants: `hemis tenants migrate`)."""
    from hemis.platform import setup_platform

    _with_engine(setup_platform)
    console.print("shared schemas at head")


@main.command()
@click.option("--serve/--no-serve", default=True, help="Start the web server afterwards.")
def demo(serve: bool) -> None:
    """Set up the platform, the ministry and two demo universities, migrate, and serve."""
    from hemis.demo import install_demo

    settings = _settings()
    created, existing = _with_engine(install_demo)
    console.print(f"demo tenants created: {', '.join(created) or 'none (already there)'}")
    # New tenants are born at head; those from an earlier run may need newer migrations.
    results = (
        run_migrations(
            settings,
            parallelism=settings.tenancy.migrate_parallelism,
            keep_going=False,
            codes=tuple(existing),
            as_json=False,
            show_progress=False,
        )
        if existing
        else []
    )
    if any(not r.ok for r in results):
        console.print("[red]migration failed[/red]")
        sys.exit(1)
    # New demo tenants were rolled up by install_demo; kept ones are, after their migrations,
    # from their data as it is now. Then the worker keeps them current.
    if existing:
        _with_engine(_recompute_rollups)
    from hemis.portal.demo import DEMO_PASSWORD

    console.print(
        "portal: http://127.0.0.1:8000/t/tatu/portal/ (and /t/samdu/portal/) — sign in as talaba, "
        f"ota-ona, oqituvchi or registrator with the password {DEMO_PASSWORD}"
    )
    if serve:
        settings.rollups.in_process = True
        _serve(settings)


async def _recompute_rollups(engine: AsyncEngine, settings: Settings) -> None:
    from hemis.rollups.worker import RollupWorker

    done = await RollupWorker(engine, settings.tenancy.role_prefix).recompute()
    console.print(f"national roll-ups computed for {len(done)} universities")


def _serve(settings: Settings) -> None:
    import uvicorn

    from hemis.app import create_app

    base = f"http://{settings.host}:{settings.port}"
    console.print(
        f"serving on {base}  (tenants: http://<code>.localhost:{settings.port}/ or {base}/t/<code>/)"
    )
    console.print(f"API docs: {base}/api/docs")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


@main.command()
def serve() -> None:
    """Serve the API (the database must already be set up: `hemis db migrate`)."""
    _serve(_settings())


if __name__ == "__main__":
    main()


@main.group()
def staff() -> None:
    """Platform staff: support and the ministry's super-admins (outside every university)."""


@staff.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name, shown to universities.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(["support", "ministry_admin"])
)
@click.option("--json", "as_json", is_flag=True)
def staff_create(username: str, display_name: str, roles: tuple[str, ...], as_json: bool) -> None:
    """Open a platform account; its password and TOTP secret are shown once."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from hemis.identity.totp import provisioning_uri
    from hemis.support.service import open_staff_account

    async def run(engine: AsyncEngine, settings: Settings) -> tuple[Any, str, str]:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            result = await open_staff_account(session, username, display_name, list(roles))
            await session.commit()
            return result

    account, password, secret = _with_engine(run)
    uri = provisioning_uri(secret, account.username, "hemis platform")
    _emit(
        as_json,
        {"username": account.username, "roles": account.roles, "password": password, "totp_secret": secret,
         "totp_uri": uri},
        lambda: console.print(f"{account.username} ({', '.join(account.roles)}): password {password}, TOTP {uri}"),
    )  # fmt: skip
