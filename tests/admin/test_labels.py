"""The console in the person's language (issue 5): column labels and help texts of the tables'
schemas and the menu's group names, in Uzbek by default, in the language picked in the console
(remembered from the page's own fetch of that language's words) or the browser's."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.app import EDITABLE, READ_ONLY
from admin.labels import CODED, LANGUAGE_COOKIE, LANGUAGES, catalog, column_label, help_text, own_label
from admin.tables import TABLES
from tenants.context import TenantRef
from tests.admin.test_console import csrf, signed_in
from tests.grading.test_scales import scale_body

COLUMNS = {t._meta.tablename: [c._meta.name for c in t._meta.columns] for t in TABLES}
SCHEMA = "/t/alpha/admin/api/tables/grading_scale/schema/"
GROUPED = "/t/alpha/admin/api/tables/grouped/"


class TestCatalog:
    def test_every_column_of_an_editable_table_has_a_label_in_every_language(self) -> None:
        """Fails for a new column (or editable table) until admin/labels/{uz,ru,en}.toml name it."""
        missing = [
            f"{language}: {table}.{column}"
            for language in LANGUAGES
            for tables in EDITABLE.values()
            for table in tables
            for column in COLUMNS[table]
            if own_label(table, column, language) is None
        ]
        assert missing == []

    def test_every_menu_group_and_table_is_named_in_every_language(self) -> None:
        groups = set(EDITABLE) | set(READ_ONLY)
        tables = {t for names in [*EDITABLE.values(), *READ_ONLY.values()] for t in names}
        for language in LANGUAGES:
            words = catalog(language)
            assert groups <= set(words["group"]) and tables <= set(words["table"]), language
            # Two groups named alike would merge in the menu.
            assert len(set(words["group"].values())) == len(words["group"]), language

    def test_the_languages_have_the_same_keys(self) -> None:
        def keys(tree: dict[str, object], prefix: str = "") -> set[str]:
            return {
                k
                for key, value in tree.items()
                for k in (keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"})
            }

        assert keys(catalog("ru")) == keys(catalog("uz")) == keys(catalog("en"))

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_every_coded_column_names_a_shipped_classifier(self, language: str) -> None:
        for key in CODED:
            table, _, column = key.rpartition(".")
            assert help_text(table, column, language).startswith(catalog(language)["codes"]), key

    def test_a_column_without_a_label_reads_as_its_name(self) -> None:
        assert column_label("grading_scale", "some_new_column", "ru") == "Some new column"
        # Uzbek Cyrillic has no catalog of its own: Uzbek (Latin) words.
        assert column_label("grading_scale", "pass_points", "oz") == "O'tish bali"


class TestConsoleLanguage:
    async def test_schema_labels_and_help_are_uzbek_by_default(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        admin = await signed_in(client, maker, tenants["alpha"])
        schema = await client.get(SCHEMA, headers=admin)
        assert schema.status_code == 200, schema.text
        assert int(schema.headers["content-length"]) == len(schema.content)
        body = schema.json()
        props = body["properties"]
        assert props["min_excellent"]["title"] == "«5» (a'lo) uchun eng kam ball"
        assert props["pass_points"]["title"] == "O'tish bali"
        assert "akademik qarzdorlik" in props["pass_points"]["extra"]["help_text"]
        # A classifier-coded column lists its codes, named in the same language.
        assert "11 — 100 ballik tizim (reyting)" in props["marking_system"]["extra"]["help_text"]
        assert body["extra"]["help_text"].startswith("Baholash shkalalari")
        # The rest of piccolo's schema is as it was.
        assert (
            body["extra"]["primary_key_name"] == "id" and "min_good" in body["extra"]["visible_column_names"]
        )

    async def test_the_language_picked_in_the_console_is_remembered_for_its_api(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        admin = await signed_in(client, maker, tenants["alpha"])
        # The page fetches the words of the language it loads or switches to (public, no sign-in).
        picked = await client.get("/t/alpha/admin/public/translations/ru/")
        assert picked.status_code == 200
        [cookie] = [c for c in picked.headers.get_list("set-cookie") if c.startswith(f"{LANGUAGE_COOKIE}=")]
        assert cookie.startswith(f"{LANGUAGE_COOKIE}=ru;") and "Path=/t/alpha/admin;" in cookie
        client.cookies.clear()
        russian = {"Cookie": f"{admin['Cookie']}; {LANGUAGE_COOKIE}=ru"}
        props = (await client.get(SCHEMA, headers=russian)).json()["properties"]
        assert props["min_excellent"]["title"] == "Минимальный балл на «5» (отлично)"
        assert "академическая задолженность" in props["pass_points"]["extra"]["help_text"]
        groups = (await client.get(GROUPED, headers=russian)).json()["grouped"]
        assert list(groups) == [
            "Структура",
            "Учебные планы",
            "Оценивание",
            "Студенты",
            "Сотрудники",
            "Финансы",
            "Стипендии",
            "Расписание",
            "Система",
        ]
        # The picked language beats the browser's; ?l= on a request beats both.
        props = (await client.get(SCHEMA, headers={**russian, "Accept-Language": "en-US"})).json()[
            "properties"
        ]
        assert props["pass_points"]["title"] == "Проходной балл"
        props = (await client.get(SCHEMA, params={"l": "en"}, headers=russian)).json()["properties"]
        assert props["pass_points"]["title"] == "Pass mark"

    async def test_writes_answer_in_the_picked_language_too(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        admin = await csrf(client, "/t/alpha/admin", await signed_in(client, maker, tenants["alpha"]))
        russian = {**admin, "Cookie": f"{admin['Cookie']}; {LANGUAGE_COOKIE}=ru"}
        bad = scale_body(min_good="92")
        refused = await client.post("/t/alpha/admin/api/tables/grading_scale/", headers=russian, json=bad)
        uzbek = await client.post("/t/alpha/admin/api/tables/grading_scale/", headers=admin, json=bad)
        assert refused.status_code == uzbek.status_code == 422
        assert refused.json()["custom_form_error"] != uzbek.json()["custom_form_error"]
        assert any("а" <= ch <= "я" for ch in refused.json()["custom_form_error"])  # Cyrillic: Russian

    async def test_english_from_the_browser_when_nothing_was_picked(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        admin = {
            **await signed_in(client, maker, tenants["alpha"]),
            "Accept-Language": "en-GB,en;q=0.9,ru;q=0.5",
        }
        props = (await client.get(SCHEMA, headers=admin)).json()["properties"]
        assert props["gpa_limit"]["title"] == "GPA threshold"
        assert "credit system" in props["gpa_limit"]["extra"]["help_text"]
        grouped = (await client.get(GROUPED, headers=admin)).json()["grouped"]
        assert {"grading_scale", "mark_sheet"} <= set(grouped["Grading"])

    async def test_menu_groups_are_uzbek_by_default_in_context_order(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        admin = await signed_in(client, maker, tenants["alpha"])
        grouped = (await client.get(GROUPED, headers=admin)).json()
        assert list(grouped["grouped"]) == [
            "Tuzilma",
            "O'quv rejalar",
            "Baholash",
            "Talabalar",
            "Xodimlar",
            "Moliya",
            "Stipendiyalar",
            "Dars jadvali",
            "Tizim",
        ]
        assert set(grouped["grouped"]["Tuzilma"]) == {"department", "building", "auditorium"}
        assert grouped["ungrouped"] == []

    @pytest.mark.parametrize("path", [SCHEMA, GROUPED])
    async def test_without_sign_in_nothing_but_401(self, client: httpx.AsyncClient, path: str) -> None:
        refused = await client.get(path, headers={"Cookie": f"{LANGUAGE_COOKIE}=ru"})
        assert refused.status_code == 401
        assert "properties" not in refused.text and "grouped" not in refused.text
