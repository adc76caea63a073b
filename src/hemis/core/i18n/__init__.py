"""Message catalogs (uz default, oz, ru, en) and the caller's language from ?l= or Accept-Language."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("uz", "oz", "ru", "en")
DEFAULT_LANGUAGE = "uz"
_DIR = Path(__file__).parent
# HEMIS clients send ?l=uz-UZ|oz-UZ|ru-RU|en-US; browsers send ru-RU,ru;q=0.9,...
_ALIASES = {"uz-latn": "uz", "uz-cyrl": "oz", "uz_cyrl": "oz", "kaa": "uz"}


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


@cache
def catalog(language: str) -> dict[str, str]:
    with (_DIR / f"{language}.toml").open("rb") as fh:
        out: dict[str, str] = {}
        _flatten("", tomllib.load(fh), out)
        return out


def normalise(tag: str | None) -> str | None:
    """'ru-RU' → 'ru', 'oz-UZ' → 'oz', 'uz-Cyrl' → 'oz'; None for anything we do not speak."""
    if not tag:
        return None
    tag = tag.strip().lower().replace("_", "-")
    if tag in _ALIASES:
        return _ALIASES[tag]
    base = tag.split("-")[0]
    if base == "uz" and "cyrl" in tag:
        return "oz"
    return base if base in LANGUAGES else None


def pick_language(query_value: str | None, accept_language: str | None) -> str:
    if chosen := normalise(query_value):
        return chosen
    if accept_language:
        weighted: list[tuple[float, int, str]] = []
        for i, part in enumerate(accept_language.split(",")):
            tag, _, params = part.strip().partition(";")
            q = 1.0
            if params.strip().startswith("q="):
                try:
                    q = float(params.strip()[2:])
                except ValueError:
                    q = 0.0
            if (lang := normalise(tag)) and q > 0:
                weighted.append((-q, i, lang))
        if weighted:
            return min(weighted)[2]
    return DEFAULT_LANGUAGE


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The message for key in language, falling back to Uzbek, then to the key itself."""
    template = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
