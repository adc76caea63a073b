"""Web push end to end: a browser subscribes through the API, a mark is written, the sender pushes
it to a real HTTP server standing in for the push service, which checks the VAPID signature
(RFC 8292) and decrypts the payload (RFC 8291) with the browser's own keys; a 410 removes the
subscription; endpoints outside the allowed push services are refused."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.cli import main
from hemis.config import PushSettings, Settings
from hemis.core.auth import Role
from hemis.notifications.jobs import PushSender
from hemis.notifications.models import Notification, PushSubscription
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.notifications.conftest import signed_in
from tests.results.conftest import Term

N = "/t/alpha/api/v1/notifications"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Browser:
    """A browser's side of a subscription: its P-256 key pair and auth secret."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> dict[str, Any]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64(point), "auth": b64(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        return dict(json.loads(plain))


@dataclass
class PushService:
    """A push service on 127.0.0.1: records every request; paths in `gone` answer 410."""

    port: int
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    delay: float = 0.0  # seconds before each answer: a slow push service

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{name}"


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            service.received.append((self.path, dict(self.headers.items()), body))
            time.sleep(service.delay)  # received, not answered yet
            self.send_response(410 if self.path in service.gone else 201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@pytest.fixture
def vapid() -> Vapid02:
    key = Vapid02()
    key.generate_keys()
    return key


@pytest.fixture
def push(settings: Settings, vapid: Vapid02, monkeypatch: pytest.MonkeyPatch) -> PushSettings:
    """Push on, with the local stand-in as the only allowed push service (http on loopback)."""
    monkeypatch.setattr(settings.push, "vapid_private_key", vapid.private_pem().decode())
    monkeypatch.setattr(settings.push, "allowed_hosts", ["127.0.0.1"])
    monkeypatch.setattr(settings.push, "subject", "mailto:push@alpha.example.uz")
    return settings.push


@pytest.fixture
async def admin_token(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ADMIN)


async def subscribe(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], **params: str
) -> httpx.Response:
    return await client.post(f"{N}/push-subscriptions", json=body, headers=headers, params=params)


class TestPushKey:
    async def test_404_while_push_is_off(self, term: Term, admin_token: dict[str, str]) -> None:
        student = await term.student()
        _, me = await signed_in(term.client, admin_token, ["student"], student_id=student["id"])
        off = await term.client.get(f"{N}/push-key", headers=me, params={"l": "en"})
        assert off.status_code == 404 and "not configured" in off.json()["detail"]

    async def test_the_public_key_when_configured(
        self, term: Term, admin_token: dict[str, str], push: PushSettings, vapid: Vapid02
    ) -> None:
        student = await term.student()
        _, me = await signed_in(term.client, admin_token, ["student"], student_id=student["id"])
        key = await term.client.get(f"{N}/push-key", headers=me)
        point = vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        assert key.status_code == 200 and key.json() == {"public_key": b64(point)}


class TestSubscriptions:
    async def test_only_allowed_push_services_and_real_keys(
        self, term: Term, admin_token: dict[str, str], push: PushSettings
    ) -> None:
        student = await term.student()
        _, me = await signed_in(term.client, admin_token, ["student"], student_id=student["id"])
        browser = Browser()
        for endpoint in (
            "http://169.254.169.254/latest/meta-data",  # the cloud's metadata service
            "https://evil.example.com/push/1",
            "https://user:pw@127.0.0.1/push/1",
            "ftp://127.0.0.1/push/1",
        ):
            refused = await subscribe(term.client, me, browser.subscription(endpoint), l="ru")
            assert refused.status_code == 422, endpoint
            assert refused.json()["field"] == "endpoint" and "push-сервиса" in refused.json()["detail"]
        bad = browser.subscription(f"https://127.0.0.1/push/{uuid.uuid4().hex}")
        bad["keys"]["p256dh"] = b64(b"\x04" + os.urandom(40)) + "A" * 30  # the right length, not a point
        refused = await subscribe(term.client, me, bad)
        assert refused.status_code == 422 and refused.json()["field"] == "keys.p256dh"

    async def test_subscribe_then_unsubscribe_own_only(
        self, term: Term, admin_token: dict[str, str], push: PushSettings
    ) -> None:
        mine, other = await term.student(), await term.student()
        _, me = await signed_in(term.client, admin_token, ["student"], student_id=mine["id"])
        _, them = await signed_in(term.client, admin_token, ["student"], student_id=other["id"])
        endpoint = f"https://127.0.0.1/push/{uuid.uuid4().hex}"
        made = await subscribe(term.client, me, Browser().subscription(endpoint) | {"language": "ru"})
        assert made.status_code == 201, made.text
        assert (made.json()["endpoint"], made.json()["language"]) == (endpoint, "ru")

        gone = f"{N}/push-subscriptions"
        theirs = await term.client.request("DELETE", gone, json={"endpoint": endpoint}, headers=them)
        assert theirs.status_code == 404  # not their browser
        assert (
            await term.client.request("DELETE", gone, json={"endpoint": endpoint}, headers=me)
        ).status_code == 204
        assert (
            await term.client.request("DELETE", gone, json={"endpoint": endpoint}, headers=me)
        ).status_code == 404


class TestSender:
    async def test_a_mark_arrives_encrypted_and_signed_and_410_removes_the_subscription(
        self,
        term: Term,
        admin_token: dict[str, str],
        push: PushSettings,
        push_service: PushService,
        vapid: Vapid02,
        app_db: AsyncEngine,
        settings: Settings,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        student = await term.student()
        _, me = await signed_in(term.client, admin_token, ["student"], student_id=student["id"])
        phone, laptop = Browser(), Browser()
        phone_url, laptop_url = push_service.url(uuid.uuid4().hex), push_service.url(uuid.uuid4().hex)
        assert (
            await subscribe(term.client, me, phone.subscription(phone_url) | {"language": "en"})
        ).status_code == 201
        assert (await subscribe(term.client, me, laptop.subscription(laptop_url), l="ru")).status_code == 201
        push_service.gone.add(laptop_url.removeprefix(f"http://127.0.0.1:{push_service.port}"))
        assert (await term.mark(student, "A", "ON", "17")).status_code == 201
        sender = PushSender(app_db, settings.tenancy.role_prefix, push)

        done = await sender.run_once(frozenset({"alpha"}))

        assert done.sent >= 1 and done.gone >= 1
        to_phone = [r for r in push_service.received if phone_url.endswith(r[0])]
        assert len(to_phone) == 1
        _, headers, body = to_phone[0]
        message = phone.decrypt(body)  # only the browser's private key opens it
        assert (message["kind"], message["title"]) == ("mark", "New mark")
        assert message["body"] == "Fan A, midterm: 17.00 of 20.00 points."
        assert headers["Content-Encoding"] == "aes128gcm" and int(headers["TTL"]) > 0
        # RFC 8292: "vapid t=<JWT>, k=<public key>", signed by our key, for this push service.
        authorization = headers["Authorization"]
        assert Vapid02.verify(authorization)
        parts = dict(p.split("=", 1) for p in authorization.removeprefix("vapid ").split(","))
        point = vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        assert parts["k"] == b64(point)
        claims_part = parts["t"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
        assert claims["aud"] == f"http://127.0.0.1:{push_service.port}"
        assert claims["sub"] == "mailto:push@alpha.example.uz" and claims["exp"] > time.time()
        # The laptop's push was sent (in Russian) and answered 410: that subscription is gone.
        to_laptop = [r for r in push_service.received if laptop_url.endswith(r[0])]
        assert len(to_laptop) == 1 and laptop.decrypt(to_laptop[0][2])["title"] == "Новая оценка"
        async with tenant_session(maker, tenants["alpha"]) as session:
            left = await session.scalars(
                select(PushSubscription.endpoint).where(PushSubscription.student_id == student["id"])
            )
            assert list(left) == [phone_url]
            unpushed = await session.scalars(
                select(Notification.id).where(
                    Notification.student_id == student["id"], Notification.pushed_at.is_(None)
                )
            )
            assert list(unpushed) == []

        # Pushed once: the next round sends nothing more to this student.
        await sender.run_once(frozenset({"alpha"}))
        assert len([r for r in push_service.received if phone_url.endswith(r[0])]) == 1
        # And the page still shows it, unread.
        assert (await term.client.get(f"{N}/unread-count", headers=me)).json() == {"unread": 1}

    async def test_no_row_stays_locked_while_a_slow_push_service_answers(
        self,
        term: Term,
        admin_token: dict[str, str],
        push: PushSettings,
        push_service: PushService,
        app_db: AsyncEngine,
        settings: Settings,
    ) -> None:
        student = await term.student()
        _, me = await signed_in(term.client, admin_token, ["student"], student_id=student["id"])
        phone = Browser()
        assert (
            await subscribe(term.client, me, phone.subscription(push_service.url("slow")))
        ).status_code == 201
        assert (await term.mark(student, "A", "ON", "15")).status_code == 201
        push_service.delay = 2.0
        sender = PushSender(app_db, settings.tenancy.role_prefix, push)
        sending = asyncio.create_task(sender.run_once(frozenset({"alpha"})))
        while not sending.done() and not push_service.received:  # until the push is in flight
            await asyncio.sleep(0.05)
        started = time.perf_counter()
        read = await term.client.post(f"{N}/read-all", headers=me)  # the same row the sender took
        waited = time.perf_counter() - started
        assert read.status_code == 200, read.text
        assert not sending.done() and waited < 1.5, waited  # answered while the push is still out
        assert (await sending).sent == 1


class TestCommand:
    def test_off_without_a_key(self, cli: CliRunner) -> None:
        result = cli.invoke(
            main, ["notifications", "push", "--once"], env={"HEMIS_PUSH__VAPID_PRIVATE_KEY": ""}
        )
        assert result.exit_code == 1 and "HEMIS_PUSH__VAPID_PRIVATE_KEY" in result.output

    def test_once_pushes_and_reports(self, cli: CliRunner, vapid: Vapid02) -> None:
        env = {
            "HEMIS_PUSH__VAPID_PRIVATE_KEY": vapid.private_pem().decode(),
            "HEMIS_PUSH__ALLOWED_HOSTS": '["127.0.0.1"]',
        }
        result = cli.invoke(
            main, ["notifications", "push", "--once", "--json"], env=env, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        assert set(json.loads(result.output)) == {"notifications", "sent", "failed", "gone", "stale"}
