"""/timetable/print: a week of a group, teacher or room as a printable page (A4 landscape, no script).

Signed in like the dashboards (the session cookie or an API token, hemis.core.auth; nobody
signed in is sent to the portal's sign-in page and back); the page reads the same
TimetableService.week() as the API and the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from litestar import Controller, MediaType, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from hemis.core.auth import Unauthenticated
from hemis.core.i18n import translate
from hemis.core.listing import QueryId
from hemis.portal.web import login_instead
from hemis.reporting.pages import HEADERS
from hemis.timetable import rules
from hemis.timetable.controller import READERS, Day, provide_timetable, whose
from hemis.timetable.service import TimetableService, Week, WeekLesson

TEMPLATES = Path(__file__).parent / "templates"
TITLES = {"group_id": "title_group", "employee_id": "title_teacher", "auditorium_id": "title_room"}


@dataclass
class Grid:
    """What the template draws: rows of pairs, columns of weekdays, lessons in the cells."""

    language: str
    title: str
    week: Week
    whom: str  # group_id, employee_id or auditorium_id: that column is left out of the cells
    pairs: list[tuple[int, str]]  # number, "08:30–09:50"
    cells: dict[tuple[int, int], list[WeekLesson]]  # (weekday, pair) → lessons

    def t(self, key: str, **params: Any) -> str:
        return translate(f"timetable.page.{key}", self.language, **params)

    def weekdays(self) -> list[tuple[int, str, str]]:
        """(weekday, its name, its date as dd.mm) of Monday … Saturday."""
        return [
            (n, self.t(f"weekday_{n}"), (self.week.monday + timedelta(days=n - 1)).strftime("%d.%m"))
            for n in rules.WEEKDAYS
        ]


async def build_grid(timetable: TimetableService, language: str, title: str, week: Week, whom: str) -> Grid:
    """The week as weekdays × pairs: every pair of the university's day (and any a lesson names)."""
    pairs: dict[int, tuple[time | None, time | None]] = {
        p: (s, e) for p, s, e in await timetable.pair_times()
    }
    cells: dict[tuple[int, int], list[WeekLesson]] = {}
    for lesson in week.lessons:
        cells.setdefault((lesson.weekday, lesson.pair), []).append(lesson)
        pairs.setdefault(lesson.pair, (lesson.starts_at, lesson.ends_at))
    return Grid(
        language,
        title,
        week,
        whom,
        [
            (n, f"{s:%H:%M}–{e:%H:%M}" if s is not None and e is not None else "")
            for n, (s, e) in sorted(pairs.items())
        ],
        cells,
    )


class TimetablePages(Controller):
    """The printable timetable (not part of the API's OpenAPI document)."""

    path = "/timetable"
    include_in_schema = False
    opt = {"tenant_kinds": {"university"}}
    dependencies = {"timetable": Provide(provide_timetable)}
    # A browser without a session (or with another university's) goes to the sign-in page,
    # which brings it back to this week, not to an API error in JSON.
    exception_handlers = {Unauthenticated: login_instead}

    @get("/print", media_type=MediaType.HTML, guards=[READERS])
    async def print_week(
        self,
        timetable: NamedDependency[TimetableService],
        language: NamedDependency[str],
        day: Day,
        group_id: QueryId = None,
        employee_id: QueryId = None,
        auditorium_id: QueryId = None,
    ) -> Template:
        """The week of `date` of one group, teacher or room: weekdays × pairs, ready for A4 landscape."""
        chosen = whose(group_id, employee_id, auditorium_id)
        [(whom, _)] = chosen.items()
        name = await timetable.name_of(**chosen)
        title = translate(f"timetable.page.{TITLES[whom]}", language, name=name)
        grid = await build_grid(timetable, language, title, await timetable.week(day, **chosen), whom)
        return Template(
            template_name="timetable/week.html",
            context={"g": grid},
            headers=HEADERS,
            media_type=MediaType.HTML,
        )
