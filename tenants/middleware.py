"""The tenancy edge: an ASGI wrapper around the Litestar app that resolves the tenant once.

It wraps the app instead of being a Litestar middleware because Litestar routes before it
runs middleware, and /t/<code>/ must be stripped from the path before routing.
An unknown host or code is a 404 in the caller's language: there is no fallback tenant.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import nullcontext
from typing import Any
from urllib.parse import parse_qs

import sentry_sdk
import structlog

from hemis.core.errors import PROBLEM_MEDIA_TYPE, make_problem
from hemis.core.i18n import pick_language
from hemis.core.observability import request_id_var, tag_scope
from tenants.context import TenantRef, tenant_scope
from tenants.resolver import TenantResolver, normalise_host

# Plain ASGI shapes: this wrapper sits outside Litestar and rewrites the scope.
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # Litestar types its own __call__ more narrowly

_SUBFOLDER = re.compile(r"^/t/([a-z][a-z0-9_]{1,29})(/.*)?$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Liveness/readiness carry no tenant data and are polled by IP by load balancers.
_HOSTLESS_PATHS = frozenset({"/health", "/ready"})
log = structlog.get_logger("hemis.access")


class TenantEdge:
    def __init__(
        self, app: ASGIApp, resolver: TenantResolver, platform_hosts: list[str], subfolders: bool
    ) -> None:
        self.app = app
        self.resolver = resolver
        self.platform_hosts = {normalise_host(h) for h in platform_hosts}
        self.subfolders = subfolders

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        rid_token = request_id_var.set(request_id)
        status: list[int] = [0]
        tenant_code: list[str | None] = [None]
        started = time.perf_counter()
        # A forked Sentry scope per request: tags set on a shared scope would label one
        # request's crash with another concurrent request's tenant. Without a client (no DSN)
        # nothing is ever reported, so there is nothing to fork or tag.
        sentry_on = sentry_sdk.get_client().is_active()
        try:
            with sentry_sdk.isolation_scope() if sentry_on else nullcontext():
                await self._dispatch(
                    scope,
                    receive,
                    _with_request_id(send, request_id, status),
                    headers,
                    request_id,
                    tenant_code,
                    sentry_on,
                )
        finally:
            log.info(
                "request",
                method=scope.get("method", "WS"),
                path=scope["path"],
                status=status[0],
                ms=round((time.perf_counter() - started) * 1000, 1),
                tenant=tenant_code[0],
            )
            request_id_var.reset(rid_token)

    async def _dispatch(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        request_id: str,
        tenant_code: list[str | None],
        sentry_on: bool,
    ) -> None:
        path: str = scope["path"]
        host = normalise_host(headers.get("host", ""))
        tenant: TenantRef | None = None
        on_platform_host = host in self.platform_hosts
        try:
            # /t/<code>/ is honoured on the platform's own hosts only: on a tenant's host it
            # must not switch tenants, and on an unknown host it must not bypass the 404.
            if on_platform_host and self.subfolders and (m := _SUBFOLDER.match(path)):
                tenant = await self.resolver.by_code(m.group(1))
                if tenant is None:
                    await _problem(scope, send, headers, 404, "tenant.unknown_code", code=m.group(1))
                    return
                scope = _strip_prefix(scope, f"/t/{m.group(1)}")
            elif not on_platform_host and path not in _HOSTLESS_PATHS:
                tenant = await self.resolver.by_host(host)
                if tenant is None:
                    await _problem(scope, send, headers, 404, "tenant.unknown_host", host=host or "-")
                    return
        except Exception:
            log.exception("tenant_resolution_failed", host=host)
            sentry_sdk.capture_exception()
            await _problem(scope, send, headers, 503, "error.unavailable")
            return
        state = scope.setdefault("state", {})
        state["tenant"] = tenant
        tenant_code[0] = tenant.code if tenant else None
        if sentry_on:
            tag_scope(tenant=tenant.code if tenant else None, request_id=request_id)
        with structlog.contextvars.bound_contextvars(tenant=tenant.code if tenant else None):
            if tenant is None:
                await self.app(scope, receive, send)
            else:
                with tenant_scope(tenant):
                    await self.app(scope, receive, send)


def _strip_prefix(scope: Scope, prefix: str) -> Scope:
    """/t/<code>/x → /x with root_path /t/<code>; raw_path keeps its original encoding."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    return {
        **scope,
        "path": scope["path"][len(prefix) :] or "/",
        "raw_path": raw_path[len(prefix.encode()) :] or b"/",
        "root_path": scope.get("root_path", "") + prefix,
    }


def _with_request_id(send: Send, request_id: str, status: list[int]) -> Send:
    """Add X-Request-ID to the response and remember its status for the access log."""

    async def wrapped(message: Any) -> None:
        if message["type"] == "http.response.start":
            status[0] = int(message["status"])
            message = {
                **message,
                "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())],
            }
        await send(message)

    return wrapped


async def _problem(
    scope: Scope, send: Send, headers: dict[str, str], status: int, key: str, **params: str
) -> None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    language = pick_language((query.get("l") or [None])[0], headers.get("accept-language"))
    body = json.dumps(make_problem(status, key, language, **params).body(), ensure_ascii=False).encode()
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4000 + status})
        return
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
