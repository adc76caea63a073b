"""Sentry: no DSN, nothing sent; crashes carry tenant + request id tags and no personal data."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk
from litestar import Litestar, get
from litestar.params import FromQuery
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from hemis.core.errors import HemisError, handle_exception
from hemis.core.observability import before_send, init_sentry
from tenants.middleware import TenantEdge


class CaptureTransport(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        for item in envelope.items:
            if item.type == "event" and item.payload.json is not None:
                self.events.append(item.payload.json)


@pytest.fixture
def transport() -> Iterator[CaptureTransport]:
    t = CaptureTransport()
    assert init_sentry("http://public@127.0.0.1:9/1", "test", transport=t) is True
    yield t
    sentry_sdk.init()  # back to a client that sends nothing


@pytest.fixture
def crashing_client(app: Any) -> httpx.AsyncClient:
    @get("/crash", sync_to_thread=False)
    def crash(pinfl: FromQuery[str] = "") -> None:
        raise RuntimeError("boom")

    @get("/slow-crash")
    async def slow_crash() -> None:
        await asyncio.sleep(0.05)  # let the other request set its tags meanwhile
        raise RuntimeError("slow boom")

    @get("/expected", sync_to_thread=False)
    def expected() -> None:
        raise HemisError("error.conflict")

    inner = Litestar([crash, slow_crash, expected], exception_handlers={Exception: handle_exception})
    edge = TenantEdge(inner, app.resolver, ["testserver"], True)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=edge), base_url="http://testserver")


class TestSentry:
    def test_no_dsn_means_no_client(self) -> None:
        assert init_sentry("", "test") is False

    async def test_crash_is_reported_with_tags_and_without_pii(
        self, transport: CaptureTransport, crashing_client: httpx.AsyncClient
    ) -> None:
        response = await crashing_client.get(
            "/t/alpha/crash?pinfl=12345678901234",
            headers={"X-Request-ID": "req-12345678", "Cookie": "session=secret"},
        )
        assert response.status_code == 500
        assert response.json()["request_id"] == "req-12345678"
        sentry_sdk.flush()
        assert len(transport.events) == 1
        event = transport.events[0]
        assert event["tags"]["tenant"] == "alpha"
        assert event["tags"]["request_id"] == "req-12345678"
        assert "12345678901234" not in str(event)
        assert "secret" not in str(event)
        assert "user" not in event

    async def test_concurrent_requests_keep_their_own_tags(
        self, transport: CaptureTransport, crashing_client: httpx.AsyncClient
    ) -> None:
        await asyncio.gather(
            *(
                crashing_client.get(f"/t/{code}/slow-crash", headers={"X-Request-ID": f"req-{code}-0001"})
                for code in ("alpha", "beta", "national")
            )
        )
        sentry_sdk.flush()
        tags = sorted((e["tags"]["tenant"], e["tags"]["request_id"]) for e in transport.events)
        assert tags == [
            ("alpha", "req-alpha-0001"),
            ("beta", "req-beta-0001"),
            ("national", "req-national-0001"),
        ]

    async def test_expected_errors_are_not_reported(
        self, transport: CaptureTransport, crashing_client: httpx.AsyncClient
    ) -> None:
        response = await crashing_client.get("/expected")
        assert response.status_code == 400
        sentry_sdk.flush()
        assert transport.events == []

    def test_before_send_drops_4xx_and_scrubs(self) -> None:
        assert before_send({}, {"exc_info": (HemisError, HemisError(), None)}) is None
        event = before_send(
            {
                "user": {"id": 1},
                "request": {"cookies": {"a": "b"}, "headers": {"Authorization": "x", "User-Agent": "ua"}},
                "extra": {"passport": "AA123", "count": 3},
            },
            {"exc_info": (RuntimeError, RuntimeError(), None)},
        )
        assert event == {
            "request": {"headers": {"User-Agent": "ua"}},
            "extra": {"passport": "[filtered]", "count": 3},
        }


class TestDatabaseErrorsCarryNoValues:
    async def test_db_error_reaches_sentry_without_the_values(
        self, transport: CaptureTransport, app_db: object
    ) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        pinfl = "".join(str(d) for d in range(1, 10)) + "01234x"  # not literally in the source lines
        with pytest.raises(DBAPIError) as caught:
            async with app_db.connect() as conn:  # type: ignore[attr-defined]
                await conn.execute(text("SELECT CAST(:p AS int)"), {"p": pinfl})
        assert "SQL parameters hidden" in str(caught.value)  # SQLAlchemy's own echo of the values
        sentry_sdk.capture_exception(caught.value)
        sentry_sdk.flush()
        assert len(transport.events) == 1
        assert pinfl not in str(transport.events[0])
        assert "database error text removed" in str(transport.events[0])
