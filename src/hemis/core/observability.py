"""Logging (structlog, request id on every line) and Sentry (tags tenant + request id, no PII)."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import sentry_sdk
import structlog

request_id_var: ContextVar[str | None] = ContextVar("hemis_request_id", default=None)

# Keys that may carry personal data (PINFL, passports, names, contacts, credentials).
_SENSITIVE = ("password", "token", "secret", "pinfl", "passport", "phone", "email", "cookie", "authorization")


_DB_MODULES = ("sqlalchemy", "asyncpg")


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    rid = request_id_var.get()
    if rid:
        event.setdefault("request_id", rid)
    return event


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_request_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # httpx logs every request to an identity provider at INFO through plain logging, outside
    # our format and without the request id; our own SSO audit says what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("[filtered]" if any(s in str(k).lower() for s in _SENSITIVE) else _scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """Drop expected (4xx) errors; strip everything that could identify a person."""
    exc = (hint.get("exc_info") or (None, None, None))[1]
    status = getattr(exc, "status_code", 500)
    if isinstance(status, int) and status < 500:
        return None
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "env", "query_string"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: v for k, v in headers.items() if k.lower() in {"user-agent", "x-request-id", "host"}
            }
    if "extra" in event:
        event["extra"] = _scrub(event["extra"])
    # Database error texts quote the offending values ("Key (pinfl)=(…) already exists",
    # "invalid input … '12345678901234'"): keep the type and SQLSTATE, drop the text.
    for value in (event.get("exception") or {}).get("values", []):
        if str(value.get("module", "")).startswith(_DB_MODULES):
            sqlstate = getattr(getattr(exc, "orig", exc), "sqlstate", None)
            value["value"] = f"[database error text removed; sqlstate={sqlstate}]"
    return event


def init_sentry(dsn: str, environment: str, traces_sample_rate: float = 0.0, **kwargs: Any) -> bool:
    """Initialise Sentry when a DSN is configured; without one, nothing is ever sent."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        # No user identity, bodies, SQL parameters or frame locals: frames hold request
        # arguments (PINFL, passport numbers) and personal data must stay in the country.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,  # type: ignore[arg-type]
        default_integrations=False,
        integrations=[],
        **kwargs,
    )
    return True


def tag_scope(*, tenant: str | None, request_id: str) -> None:
    scope = sentry_sdk.get_isolation_scope()
    scope.set_tag("request_id", request_id)
    scope.set_tag("tenant", tenant or "-")
