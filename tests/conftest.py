"""One real PostgreSQL database per test worker, set up through the real platform code.

DATABASE_URL picks the server; without it the embedded PostgreSQL (pgserver) is started.
Tenants alpha and beta (universities) and national (the ministry) are provisioned once
per worker by hemis.platform.create_tenant, the same path `hemis tenants create` uses.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.access.service import ApiTokenService
from hemis.app import HemisApp, create_app
from hemis.config import REPO_ROOT, Settings
from hemis.core.auth import Role
from hemis.core.embedded import ensure_database_url
from hemis.platform import create_tenant, setup_platform
from tenants.context import TenantKind, TenantRef
from tenants.database import app_engine, owner_engine
from tenants.provision import TenantSpec
from tenants.session import make_sessionmaker, tenant_session
from tenants.testing import TestDatabase, recreate_database, worker_database

TEST_TENANTS = (
    TenantSpec(
        code="alpha", name_uz="Alfa universiteti", name_ru="Университет Альфа", name_en="Alpha University"
    ),
    TenantSpec(
        code="beta", name_uz="Beta universiteti", name_ru="Университет Бета", name_en="Beta University"
    ),
    TenantSpec(
        code="national",
        kind=TenantKind.NATIONAL,
        name_uz="Vazirlik",
        name_ru="Министерство",
        name_en="Ministry",
    ),
)


def _base_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    settings = Settings()
    settings.db.embedded_dir = REPO_ROOT / ".hemis" / "test-pgdata"
    return ensure_database_url(settings).db.url


@pytest.fixture(scope="session")
async def test_db() -> AsyncIterator[TestDatabase]:
    db = worker_database(_base_url())
    await recreate_database(db)
    yield db
    if not os.environ.get("HEMIS_KEEP_TEST_DB"):  # set it to inspect the database after a run
        await recreate_database(db, create=False)


@pytest.fixture(scope="session")
def settings(test_db: TestDatabase) -> Settings:
    # Every test signs in from the same address: only the per-user limit is exercised here.
    test_db.settings.identity.login_limit_per_ip = 100_000
    return test_db.settings


@pytest.fixture(scope="session")
async def owner(test_db: TestDatabase) -> AsyncIterator[AsyncEngine]:
    engine = owner_engine(test_db.settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def tenants(owner: AsyncEngine, settings: Settings) -> dict[str, TenantRef]:
    await setup_platform(owner, settings)
    refs = {}
    for spec in TEST_TENANTS:
        refs[spec.code] = await create_tenant(owner, settings, spec, short_name=spec.code.upper())
    return refs


@pytest.fixture(scope="session")
async def app_db(settings: Settings, tenants: dict[str, TenantRef]) -> AsyncIterator[AsyncEngine]:
    """The engine the API uses: logged in as the fail-closed app role."""
    engine = app_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def maker(app_db: AsyncEngine, settings: Settings) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(app_db, settings.tenancy.role_prefix)


@pytest.fixture(scope="session")
async def app(settings: Settings, tenants: dict[str, TenantRef]) -> AsyncIterator[HemisApp]:
    application = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        # Startup and shutdown hooks run as a server runs them, entered and exited in one task.
        async with application.litestar.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    await started.wait()
    yield application
    stop.set()
    await task


@pytest.fixture
async def client(app: HemisApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


TokenFactory = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture(scope="session")
def token_for(maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]) -> TokenFactory:
    """`await token_for("alpha", Role.ADMIN)` → Authorization headers of a fresh API token."""
    cache: dict[tuple[str, frozenset[Role]], dict[str, str]] = {}

    async def issue(code: str, *roles: Role) -> dict[str, str]:
        key = (code, frozenset(roles))
        if key not in cache:
            async with tenant_session(maker, tenants[code]) as session:
                _, secret = await ApiTokenService(session=session).issue("tests", set(roles), by="tests")
                await session.commit()
            cache[key] = {"Authorization": f"Bearer {secret}"}
        return cache[key]

    return issue
