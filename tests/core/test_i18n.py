"""Language choice and catalogs: Uzbek by default, ?l= wins, then Accept-Language."""

from __future__ import annotations

import pytest

from hemis.core.i18n import LANGUAGES, catalog, pick_language, translate


class TestPickLanguage:
    @pytest.mark.parametrize(
        ("query", "header", "expected"),
        [
            (None, None, "uz"),
            ("ru-RU", None, "ru"),
            ("oz-UZ", "en", "oz"),
            ("en-US", "ru", "en"),
            ("xx", "ru-RU,ru;q=0.9,en;q=0.8", "ru"),
            (None, "de-DE,en;q=0.5,ru;q=0.7", "ru"),
            (None, "uz-Cyrl", "oz"),
            (None, "fr, de", "uz"),
            (None, "ru;q=0, en;q=0.1", "en"),
            (None, "en;q=abc", "uz"),
        ],
    )
    def test_choice(self, query: str | None, header: str | None, expected: str) -> None:
        assert pick_language(query, header) == expected


class TestCatalogs:
    def test_every_language_has_every_key(self) -> None:
        keys = set(catalog("uz"))
        for language in LANGUAGES:
            assert set(catalog(language)) == keys, language

    def test_placeholders_match_across_languages(self) -> None:
        import string

        def fields(s: str) -> set[str]:
            return {f for _, f, _, _ in string.Formatter().parse(s) if f}

        for key, text in catalog("uz").items():
            for language in LANGUAGES:
                assert fields(catalog(language)[key]) == fields(text), (language, key)

    def test_translate_formats_and_falls_back_to_key(self) -> None:
        assert translate("classifier.not_found", "ru", code="h_x") == "Классификатор «h_x» не найден."
        assert translate("no.such.key", "en") == "no.such.key"
