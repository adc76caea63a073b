"""The student's home page answered from memory (hemis.portal.page_cache): only the same session
at the same university gets it, and only while nothing of that university has changed, as
PostgreSQL's notifications tell (hemis.core.changes)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.app import HemisApp
from hemis.config import Settings
from hemis.core.changes import CHANNEL, ChangeFeed
from hemis.identity.models import UserSession
from hemis.identity.service import secret_hash
from hemis.institution.models import InstitutionProfile
from hemis.portal.page_cache import PageCache
from hemis.students.models import Student
from tenants.context import TenantRef
from tenants.database import app_url
from tenants.session import tenant_session
from tests.portal.conftest import P, check_page, portal_sign_in, student_account
from tests.results.conftest import Term
from tests.students.conftest import new_group, student_body

T = "/t/alpha/api/v1"

# Tables whose writes no page shows, so they notify nobody (migration 9d4e2b7c1a36 says why).
NOT_NOTIFIED = {"rollup_outbox", "student_performance_stale", "audit_event", "login_throttle", "sso_attempt"}


@pytest.fixture
def cache(app: HemisApp) -> PageCache:
    pages: PageCache = app.litestar.state.page_cache
    assert pages.feed is not None
    return pages


@pytest.fixture
async def me(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    term: Term,
    cache: PageCache,
) -> dict[str, Any]:
    """A student with a mark, signed in; the feed listening."""
    student = await term.student(last_name="Qodirova", first_name="Malika")
    await term.marks(student, "A", "25", "15", "40")
    await portal_sign_in(client, await student_account(maker, tenants["alpha"], student["id"]))
    assert cache.feed is not None
    await cache.feed.wait_listening()
    return student


async def written(
    feed: ChangeFeed | None,
    maker: async_sessionmaker[AsyncSession],
    tenant: TenantRef,
    statement: Any,
    group: str | None = None,
    session: str | None = None,
) -> None:
    """`statement` committed in `tenant` behind the app's back (not through a request of this
    process), then until the feed has heard of it as a change of what is named (at most 10 s)."""
    assert feed is not None
    mark = feed.mark()
    assert mark is not None
    async with tenant_session(maker, tenant) as db:
        await db.execute(statement)
        await db.commit()
    for _ in range(200):
        if not feed.current(mark, tenant.schema, group, session):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no change of {tenant.schema} {group} {session} heard")


def by_hand(client: httpx.AsyncClient, secret: str | None = None) -> dict[str, str]:
    """The session cookie (the jar's, or `secret`) as a header sent by hand; the jar emptied."""
    secret = secret or client.cookies.get("hemis_session")
    client.cookies.clear()
    return {"Cookie": f"hemis_session={secret}"}


async def test_the_home_page_is_answered_again_until_the_university_changes(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    cache: PageCache,
    me: dict[str, Any],
) -> None:
    first = await client.get(f"{P}/")
    assert "Qodirova Malika" in check_page(first)
    hits = cache.hits
    again = await client.get(f"{P}/")
    assert cache.hits == hits + 1
    assert again.content == first.content
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert again.headers["cache-control"] == "private, no-store"
    # The notification names the student's group, and that voids the kept page.
    renamed = update(Student).where(Student.id == me["id"]).values(last_name="Rahimova")
    await written(cache.feed, maker, tenants["alpha"], renamed, str(me["group_id"]))
    assert "Rahimova Malika" in check_page(await client.get(f"{P}/"))


async def test_only_changes_of_the_students_group_or_the_whole_university_void_the_page(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    admin: dict[str, str],
    cache: PageCache,
    term: Term,
    me: dict[str, Any],
) -> None:
    """A student of another group changes: the page stays kept. A classmate's new mark (the
    rank may move) or the university's profile changes: it does not."""
    alpha = tenants["alpha"]
    elsewhere = await new_group(client, admin)
    stranger = await client.post(f"{T}/students", json=student_body(elsewhere), headers=admin)
    assert stranger.status_code == 201, stranger.text
    classmate = await term.student(last_name="Sodiqov", first_name="Jasur")
    client.cookies.delete("hemis_portal_lang")
    await client.get(f"{P}/")
    hits = cache.hits

    other_group = str(elsewhere["id"])
    await written(
        cache.feed,
        maker,
        alpha,
        update(Student).where(Student.id == stranger.json()["id"]).values(phone="+998901112233"),
        other_group,
    )
    await client.get(f"{P}/")
    assert cache.hits == hits + 1  # still kept
    await written(
        cache.feed,
        maker,
        alpha,
        update(Student).where(Student.id == classmate["id"]).values(phone="+998901112234"),
        str(me["group_id"]),
    )
    await client.get(f"{P}/")
    assert cache.hits == hits + 1  # made afresh
    await client.get(f"{P}/")
    assert cache.hits == hits + 2
    await written(
        cache.feed, maker, alpha, update(InstitutionProfile).values(name_uz=InstitutionProfile.name_uz), None
    )
    await client.get(f"{P}/")
    assert cache.hits == hits + 2  # made afresh


async def test_the_persons_own_write_voids_their_kept_pages_at_once(
    client: httpx.AsyncClient, cache: PageCache, me: dict[str, Any]
) -> None:
    """Marking every notification read shows on the very next page even when the notification
    has not arrived yet: here it never does (the feed stops hearing them)."""
    feed = cache.feed
    assert feed is not None and feed._connection is not None
    before = check_page(await client.get(f"{P}/"))
    assert re.search(r'data-test="unread">[1-9]', before)  # the marks' notifications
    hits = cache.hits
    await client.get(f"{P}/")
    assert cache.hits == hits + 1  # kept
    await feed._connection.remove_listener(CHANNEL, feed._notified)  # deaf from here on
    try:
        assert (await client.post(f"{P}/notifications/read-all")).status_code == 303
        after = check_page(await client.get(f"{P}/"))
        assert 'data-test="unread" hidden' in after
    finally:
        await feed._connection.add_listener(CHANNEL, feed._notified)


async def test_signed_out_or_ended_sessions_get_no_kept_page(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    cache: PageCache,
    me: dict[str, Any],
) -> None:
    alpha = tenants["alpha"]
    assert cache.feed is not None
    cookie = by_hand(client)
    for _ in range(2):
        assert (await client.get(f"{P}/", headers=cookie)).status_code == 200
    # Signing out through this process: its next request is refused at once.
    assert (await client.post(f"{P}/logout", headers=cookie)).status_code == 303
    refused = await client.get(f"{P}/", headers=cookie)
    assert refused.status_code == 303 and "/portal/login" in refused.headers["location"]
    # A session an admin ends in the database: refused once the notification is heard.
    other = await portal_sign_in(client, await student_account(maker, alpha, me["id"]))
    cookie = by_hand(client, other)
    for _ in range(2):
        assert (await client.get(f"{P}/", headers=cookie)).status_code == 200
    ended = (
        update(UserSession)
        .where(UserSession.token_hash == secret_hash(other))
        .values(ended_at=func.now(), ended_reason="admin")
    )
    await written(cache.feed, maker, alpha, ended, session=secret_hash(other))
    assert (await client.get(f"{P}/", headers=cookie)).status_code == 303


async def test_no_other_session_or_university_gets_a_kept_page(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    cache: PageCache,
    term: Term,
    me: dict[str, Any],
) -> None:
    cookie = by_hand(client)
    for _ in range(2):
        assert "Qodirova Malika" in check_page(await client.get(f"{P}/", headers=cookie))
    # The same cookie at another university: that university's sign-in page.
    refused = await client.get("/t/beta/portal/", headers=cookie)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/t/beta/portal/login")
    # Another student of the same group: their own page, never the kept one.
    other = await term.student(last_name="Saidov", first_name="Bekzod")
    theirs = await portal_sign_in(client, await student_account(maker, tenants["alpha"], other["id"]))
    page = check_page(await client.get(f"{P}/", headers=by_hand(client, theirs)))
    assert "Saidov Bekzod" in page and "Qodirova" not in page
    # No cookie at all: the sign-in page.
    assert (await client.get(f"{P}/")).status_code == 303


async def test_nothing_is_kept_while_not_listening_and_nothing_kept_before_survives(
    client: httpx.AsyncClient, owner: AsyncEngine, cache: PageCache, me: dict[str, Any]
) -> None:
    feed = cache.feed
    assert feed is not None
    await client.get(f"{P}/")
    hits = cache.hits
    await client.get(f"{P}/")
    assert cache.hits == hits + 1  # kept
    feed_pid = feed.backend_pid
    async with owner.connect() as conn:  # the listening connection is lost
        await conn.execute(select(func.pg_terminate_backend(feed_pid)))
    for _ in range(100):
        if not feed.listening or feed.backend_pid != feed_pid:
            break
        await asyncio.sleep(0.05)
    await feed.wait_listening()  # listening again (a new connection)
    assert feed.backend_pid != feed_pid
    hits = cache.hits
    await client.get(f"{P}/")  # what was kept before is void: what changed meanwhile is unknown
    assert cache.hits == hits
    await client.get(f"{P}/")
    assert cache.hits == hits + 1


async def test_while_not_listening_every_page_is_made_afresh(
    client: httpx.AsyncClient, cache: PageCache, me: dict[str, Any]
) -> None:
    feed = cache.feed
    assert feed is not None
    await feed.stop()
    try:
        assert feed.mark() is None
        hits = cache.hits
        for _ in range(3):
            assert "Qodirova Malika" in check_page(await client.get(f"{P}/"))
        assert cache.hits == hits
    finally:
        feed.start()
        await feed.wait_listening()


async def test_every_table_a_page_may_show_notifies_its_changes(
    maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
) -> None:
    alpha = tenants["alpha"]
    async with tenant_session(maker, alpha) as session:
        tables = set(
            (
                await session.scalars(
                    text(  # lint-skip: a catalog read, no tenant data
                        "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') "
                        "AND relnamespace = current_schema()::regnamespace AND relname <> 'alembic_version'"
                    )
                )
            ).all()
        )
        triggered = set(
            (
                await session.scalars(
                    text(  # lint-skip: a catalog read, no tenant data
                        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE t.tgname LIKE 'notify\\_change%' "
                        "AND c.relnamespace = current_schema()::regnamespace"
                    )
                )
            ).all()
        )
    assert NOT_NOTIFIED <= tables
    assert triggered == tables - NOT_NOTIFIED


async def test_a_sessions_idle_clock_notifies_nobody_and_its_end_does(
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    client: httpx.AsyncClient,
    me: dict[str, Any],
    settings: Settings,
) -> None:
    """Reading a page moves the session's last_seen_at (at most once a minute): that must not
    void every kept page of the university. Ending it must."""
    alpha = tenants["alpha"]
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(ChangeFeed(app_url(settings)).dsn)
    try:
        await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[-1]))
        token = secret_hash(client.cookies.get("hemis_session") or "")
        async with tenant_session(maker, alpha) as session:
            await session.execute(
                update(UserSession).where(UserSession.token_hash == token).values(last_seen_at=func.now())
            )
            await session.commit()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(heard.get(), 0.5)
        async with tenant_session(maker, alpha) as session:
            await session.execute(
                update(UserSession).where(UserSession.token_hash == token).values(ended_at=func.now())
            )
            await session.commit()
        assert await asyncio.wait_for(heard.get(), 5) == f"{alpha.schema} s {token}"
    finally:
        await listener.close()


async def test_a_page_answered_from_memory_moves_the_sessions_idle_clock(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    cache: PageCache,
    me: dict[str, Any],
) -> None:
    """Someone reading only kept pages is not idle: their session's last_seen_at moves (at most
    once a minute), or it would end while they use it."""
    alpha = tenants["alpha"]
    token = secret_hash(client.cookies.get("hemis_session") or "")

    async def last_seen() -> datetime:
        async with tenant_session(maker, alpha) as session:
            seen = await session.scalar(
                select(UserSession.last_seen_at).where(UserSession.token_hash == token)
            )
        assert seen is not None
        return seen

    await client.get(f"{P}/")  # kept
    earlier = datetime.now(UTC) - timedelta(minutes=5)
    async with tenant_session(maker, alpha) as session:  # the idle clock notifies nobody
        await session.execute(
            update(UserSession).where(UserSession.token_hash == token).values(last_seen_at=earlier)
        )
        await session.commit()
    hits = cache.hits
    await client.get(f"{P}/")
    assert cache.hits == hits + 1 and await last_seen() == earlier  # moved under a minute ago
    for kept in cache._pages.values():  # a minute later
        kept.touched -= 61
    await client.get(f"{P}/")
    assert cache.hits == hits + 2
    assert await last_seen() > earlier + timedelta(minutes=4)
