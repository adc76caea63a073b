"""One error model: HemisError → application/problem+json, message in the caller's language."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sentry_sdk
import structlog
from advanced_alchemy.exceptions import DuplicateKeyError, IntegrityError
from advanced_alchemy.exceptions import NotFoundError as RepositoryNotFoundError
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from hemis.core.i18n import pick_language, translate
from hemis.core.observability import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger(__name__)


class HemisError(Exception):
    """An expected failure: a status code, a catalog key and (when it is about input) the field."""

    status_code: int = 400
    message_key: str = "error.validation"

    def __init__(self, message_key: str | None = None, *, field: str | None = None, **params: Any) -> None:
        self.message_key = message_key or type(self).message_key
        self.field = field
        self.params = params
        # Structured members the problem body carries besides its detail (RFC 9457 extensions),
        # e.g. the lesson a timetable clash is with, for a client to show or link.
        self.extra: dict[str, Any] = {}
        super().__init__(self.message_key)


class NotFound(HemisError):
    status_code = 404
    message_key = "error.not_found"


class OutOfRange(HemisError):
    status_code = 422
    message_key = "error.out_of_range"

    @classmethod
    def check(
        cls, values: dict[str, Any], field: str, low: Any, high: Any, *, low_open: bool = False
    ) -> None:
        """Raise naming `field` unless low ≤ value ≤ high (low < value with low_open)."""
        value = values.get(field)
        if value is None:
            return
        if isinstance(value, Decimal) and not value.is_finite():  # NaN/Infinity would not even compare
            raise cls(field=field, low=low, high=high)
        if value > high or value < low or (low_open and value == low):
            raise cls(field=field, low=low, high=high)


class TooPrecise(HemisError):
    status_code = 422
    message_key = "error.decimal_places"

    @classmethod
    def check(cls, values: dict[str, Any], field: str, places: int) -> None:
        """Refuse more decimal places than the column keeps (it would round silently)."""
        value = values.get(field)
        if isinstance(value, Decimal) and value.is_finite() and -int(value.as_tuple().exponent) > places:
            raise cls(field=field, places=places)


class Conflict(HemisError):
    status_code = 409
    message_key = "error.conflict"


@dataclass(slots=True)
class FieldError:
    field: str
    message: str


@dataclass(slots=True)
class Problem:
    status: int
    code: str
    detail: str
    title: str
    field: str | None = None
    errors: list[FieldError] = dataclasses.field(default_factory=list)
    request_id: str | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return self.extra | {
            "type": f"urn:hemis:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "field": self.field,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
            "request_id": self.request_id,
        }


def language_of(request: Request[Any, Any, Any]) -> str:
    return pick_language(request.query_params.get("l"), request.headers.get("accept-language"))


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    return Response(
        content=problem.body(), status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def make_problem(status: int, key: str, language: str, *, field: str | None = None, **params: Any) -> Problem:
    detail = translate(key, language, field=field, request_id=request_id_var.get() or "-", **params)
    errors = [FieldError(field, detail)] if field else []
    return Problem(
        status, key, detail, translate("error.title", language), field, errors, request_id_var.get()
    )


# msgspec/Litestar validation messages → (catalog key, params); the field comes separately.
_MSGSPEC_PATTERNS: list[tuple[re.Pattern[str], str, str | None]] = [
    (re.compile(r"Expected `([^`]+)`"), "validation.expected_type", "expected"),
    (re.compile(r"Expected `[^`]+` >= ([\d.]+)"), "validation.ge", "limit"),
    (re.compile(r"Expected `[^`]+` <= ([\d.]+)"), "validation.le", "limit"),
    (re.compile(r"length >= (\d+)"), "validation.min_length", "limit"),
    (re.compile(r"length <= (\d+)"), "validation.max_length", "limit"),
    (re.compile(r"matching regex"), "validation.pattern", None),
]


def _reason(message: str, language: str) -> str:
    matched: tuple[str, dict[str, str]] | None = None
    for pattern, key, param in _MSGSPEC_PATTERNS:
        if m := pattern.search(message):
            matched = (key, {param: m.group(1)} if param else {})  # later, more specific rules win
    key, params = matched or ("validation.invalid", {})
    return translate(key, language, **params)


_FIELD_IN_MESSAGE = re.compile(r"(?:at|field) `\$?\.?([\w.\[\]]+)`")


def field_error(message: str, language: str, key: str | None = None) -> FieldError:
    """One msgspec/Litestar validation message as a field error in the user's language."""
    # Body errors come keyed "data" with the path in the message ("… - at `$.code`").
    from_message = (m := _FIELD_IN_MESSAGE.search(message)) and m.group(1)
    name = str((from_message if key in (None, "data") else key) or key or "body")
    if "missing required" in message.lower():
        return FieldError(name, translate("error.field_required", language, field=name))
    reason = _reason(message, language)
    return FieldError(name, translate("error.field_invalid", language, field=name, reason=reason))


def validation_problem(exc: ValidationException | str, language: str) -> Problem:
    """A 422 naming the first bad field, from Litestar's exception or a bare msgspec message."""
    items = [{"message": exc}] if isinstance(exc, str) else exc.extra if isinstance(exc.extra, list) else []
    errors = [
        field_error(str(item.get("message", "")), language, item.get("key"))
        for item in items
        if isinstance(item, dict)
    ]
    first = errors[0] if errors else None
    return Problem(
        status=422 if errors else 400,
        code="error.validation",
        detail=first.message if first else translate("error.validation", language),
        title=translate("error.title", language),
        field=first.field if first else None,
        errors=errors,
        request_id=request_id_var.get(),
    )


_HTTP_KEYS = {
    401: "error.unauthorized",
    403: "error.forbidden",
    405: "error.method_not_allowed",
    409: "error.conflict",
    413: "error.too_large",
    429: "error.rate_limited",
    503: "error.unavailable",
}


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """The one exception handler of the app: typed errors, validation, HTTP errors, crashes."""
    language = language_of(request)
    if isinstance(exc, HemisError):
        problem = make_problem(exc.status_code, exc.message_key, language, field=exc.field, **exc.params)
        problem.extra = exc.extra
    elif isinstance(exc, ValidationException):
        problem = validation_problem(exc, language)
    elif isinstance(exc, DBAPIError) and str(getattr(exc.orig, "sqlstate", "") or "").startswith("22"):
        # Class 22 "data exception": input PostgreSQL cannot take (NUL bytes, bad encodings,
        # out-of-range values): the caller's fault, not ours.
        problem = make_problem(422, "error.invalid_value", language)
    elif isinstance(exc, (DuplicateKeyError, IntegrityError, DatabaseIntegrityError)):
        problem = make_problem(409, "error.conflict", language)
    elif isinstance(exc, (NotFoundException, RepositoryNotFoundError)):
        problem = make_problem(404, "error.not_found", language)
    elif isinstance(exc, HTTPException):
        key = _HTTP_KEYS.get(
            exc.status_code, "error.validation" if exc.status_code < 500 else "error.internal"
        )
        problem = make_problem(exc.status_code, key, language)
        return problem_response(problem, headers=exc.headers)
    else:
        log.exception("unhandled_error", path=request.url.path)
        sentry_sdk.capture_exception(exc)
        problem = make_problem(HTTP_500_INTERNAL_SERVER_ERROR, "error.internal", language)
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None  # RFC 6750
    response = problem_response(problem, headers=headers)
    if problem.status == 403:
        from hemis.core.auth import denial_audit  # auth builds on this module

        response.background = denial_audit(request)
    return response


__all__ = ["Conflict", "HemisError", "MediaType", "NotFound", "Problem", "handle_exception", "make_problem"]
