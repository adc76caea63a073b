"""The console's column labels, help texts and menu group names in uz (default), ru and en, and
the person's language for them.

piccolo-admin's page shows what its private API answers (a column's label is the JSON schema's
`title`, its help `extra.help_text`; the menu's groups are the keys of `/tables/grouped/`) and
translates none of it, while its own words follow a language picked in the browser. So the API's
answers are rewritten here in the person's language (`localise`, run by `RewriteJson`), and the
language picked in the browser is remembered in a cookie (`RememberLanguage`): the page fetches
`public/translations/<code>/` whenever it loads or switches to a language.

The words are in uz.toml, ru.toml and en.toml beside this file; a new table or column of the
console needs only entries there.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import Any

import msgspec
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hemis.classifiers.service import load_data
from hemis.core.i18n import DEFAULT_LANGUAGE, normalise, pick_language

LANGUAGES = ("uz", "ru", "en")  # the console's (admin.i18n.TRANSLATIONS); Uzbek Cyrillic gets uz
LANGUAGE_COOKIE = "hemis_admin_lang"
_DIR = Path(__file__).parent
_YEAR = 365 * 24 * 3600

# Columns holding a code of a national classifier: their help lists the codes with their names,
# from the classifier release shipped with hemis. "table.column" for names that mean different
# things in different tables (a mark change request's status is not a student's).
CODED = {
    "education_type": "h_education_type",
    "education_form": "h_education_form",
    "marking_system": "h_marking_system",
    "semester": "h_semester",
    "subject_type": "h_subject_type",
    "subject_block": "h_subject_block",
    "week_type": "h_education_week_type",
    "structure_type": "h_structure_type",
    "training_type": "h_training_type",
    "gender": "h_gender",
    "citizenship": "h_citizenship_type",
    "payment_form": "h_payment_form",
    "course": "h_course",
    "education_lang": "h_language",
    "academic_degree": "h_academic_degree",
    "academic_rank": "h_academic_rank",
    "student.status": "h_student_status",
    "student_status_change.old_status": "h_student_status",
    "student_status_change.new_status": "h_student_status",
}


@cache
def catalog(language: str) -> dict[str, Any]:
    with (_DIR / f"{language}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _words(language: str) -> dict[str, Any]:
    return catalog(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def _find(language: str, *path: str) -> str | None:
    """The entry at `path` of the language's catalog, if it has one."""
    node: Any = _words(language)
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, str) and node else None


def _either(language: str, *path: str) -> str | None:
    """The entry in `language`, else in Uzbek: Uzbek words read better than a column's name."""
    return _find(language, *path) or _find(DEFAULT_LANGUAGE, *path)


def own_label(table: str, column: str, language: str) -> str | None:
    """The label `language` itself has for the column (no fallback): what the catalog test checks."""
    return _find(language, "label", table, column) or _find(language, "column", column)


def readable(name: str) -> str:
    """What a name without a label shows: "lecture_hours" → "Lecture hours"."""
    return name.replace("_", " ").capitalize()


def column_label(table: str, column: str, language: str) -> str:
    """The column's label in `language`, else in Uzbek, else its readable name."""
    return (
        own_label(table, column, language) or own_label(table, column, DEFAULT_LANGUAGE) or readable(column)
    )


def group_name(group: str, language: str) -> str:
    return _either(language, "group", group) or readable(group)


def table_about(table: str, language: str) -> str:
    return _either(language, "table", table) or ""


def help_text(table: str, column: str, language: str) -> str:
    """The column's help (Uzbek where `language` has none), then the codes of its classifier."""
    classifier = CODED.get(f"{table}.{column}") or CODED.get(column)
    parts = (_either(language, "help", table, column), _codes(classifier, language) if classifier else None)
    return " ".join(part for part in parts if part)


@cache
def _codes(classifier: str, language: str) -> str:
    spoken = language if language in LANGUAGES else DEFAULT_LANGUAGE
    [found] = [c for c in load_data()["classifiers"] if c["code"] == classifier]
    items = "; ".join(f"{i['code']} — {i['name'].get(spoken) or i['name']['uz']}" for i in found["items"])
    return f"{_find(language, 'codes')}: {items}."


def console_language(scope: Scope) -> str:
    """The person's language: `?l=` if the request names one, else the language picked in the
    console (the cookie), else the browser's (Accept-Language), else Uzbek."""
    conn = HTTPConnection(scope)
    return (
        normalise(conn.query_params.get("l"))
        or normalise(conn.cookies.get(LANGUAGE_COOKIE))
        or pick_language(None, conn.headers.get("accept-language"))
    )


# What the console's private API answers, seen below its root.
_SCHEMA = re.compile(r"/tables/([a-z_]+)/schema/", re.ASCII)
_GROUPED = "/tables/grouped/"


def localise(scope: Scope) -> Callable[[Any], Any] | None:
    """How to rewrite this request's answer into the person's language (None: it has no words of ours)."""
    if scope.get("method") != "GET":
        return None
    below = scope["path"][len(scope.get("root_path", "")) :]
    if below == _GROUPED:
        return partial(_groups, language=console_language(scope))
    if found := _SCHEMA.fullmatch(below):
        return partial(_schema, table=found.group(1), language=console_language(scope))
    return None


def _groups(body: dict[str, Any], *, language: str) -> dict[str, Any]:
    """Group ids → names, in the catalog's order (piccolo sorts the ids; the page keeps the order)."""
    order = list(catalog(DEFAULT_LANGUAGE)["group"])
    grouped: dict[str, Any] = body.get("grouped", {})
    ids = sorted(grouped, key=lambda g: (order.index(g) if g in order else len(order), g))
    return {**body, "grouped": {group_name(g, language): grouped[g] for g in ids}}


def _schema(body: dict[str, Any], *, table: str, language: str) -> dict[str, Any]:
    for column, prop in body.get("properties", {}).items():
        prop["title"] = column_label(table, column, language)
        if text := help_text(table, column, language):
            prop.setdefault("extra", {})["help_text"] = text
    if about := table_about(table, language):
        body.setdefault("extra", {})["help_text"] = about
    return body


class RewriteJson:
    """ASGI middleware: the JSON body of a 200 answer, changed by what `choose` gives for the
    request. Other requests and answers pass untouched (and unbuffered)."""

    def __init__(self, app: ASGIApp, choose: Callable[[Scope], Callable[[Any], Any] | None]) -> None:
        self.app = app
        self.choose = choose

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rewrite = self.choose(scope) if scope["type"] == "http" else None
        if rewrite is None:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            headers = MutableHeaders(raw=list(start["headers"]))
            out = bytes(body)
            json = headers.get("content-type", "").startswith("application/json")
            if start["status"] == 200 and json and "content-encoding" not in headers:
                out = msgspec.json.encode(rewrite(msgspec.json.decode(out)))
                headers["content-length"] = str(len(out))
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": out})

        await self.app(scope, receive, buffered)


_PICKED = re.compile(r"/public/translations/([a-z]+)/", re.ASCII)


class RememberLanguage:
    """ASGI middleware over a whole console: when its page fetches a language's words (it loads or
    switches to that language), a cookie remembers the language for the console's API answers.
    The cookie is the console's alone (path = its root) and is no credential."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = scope.get("root_path", "")
        found = _PICKED.fullmatch(scope["path"][len(root) :]) if scope["type"] == "http" else None
        if found is None or found.group(1) not in LANGUAGES:
            await self.app(scope, receive, send)
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{LANGUAGE_COOKIE}={found.group(1)}; Path={root or '/'}; Max-Age={_YEAR}; HttpOnly; SameSite=Lax{secure}"

        async def remembered(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(raw=list(message["headers"]))
                headers.append("set-cookie", cookie)
                message = {**message, "headers": headers.raw}
            await send(message)

        await self.app(scope, receive, remembered)
