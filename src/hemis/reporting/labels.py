"""Names of what the figures are cut by, in the reader's language: national classifiers (the same
release file the ref schema is loaded from, read once per process, so a dashboard does not query
ref for every label), and our own catalogs for staff positions, columns and indicators."""

from __future__ import annotations

import json
from functools import cache

from hemis.classifiers.service import DATA_FILE
from hemis.core.i18n import translate

# A dimension → the classifier naming its codes.
CLASSIFIED = {
    "status": "h_student_status",
    "education_type": "h_education_type",
    "education_form": "h_education_form",
    "payment_form": "h_payment_form",
    "course": "h_course",
    "gender": "h_gender",
    "region": "h_soato",
    "university_region": "h_soato",
    "citizenship": "h_citizenship_type",
    "academic_degree": "h_academic_degree",
    "academic_rank": "h_academic_rank",
    "structure_type": "h_structure_type",
    "accommodation": "h_accommodation",
}
# Dimensions whose codes are our own words (hemis.staff.models, hemis.structure.models),
# named by the catalogs.
CATALOGUED = {"position", "employment_form", "auditorium_type"}


@cache
def _classifiers() -> dict[str, dict[str, dict[str, str]]]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {c["code"]: {i["code"]: i["name"] for i in c["items"]} for c in data["classifiers"]}


def classifier_name(classifier: str, code: str, language: str) -> str:
    names = _classifiers().get(classifier, {}).get(code)
    if not names:
        return translate("reporting.unknown", language) if not code else code
    return names.get(language) or names["uz"]


def regions() -> list[str]:
    """The h_soato codes of regions (four digits), in the classifier's order."""
    return [code for code in _classifiers()["h_soato"] if len(code) == 4]


def region_name(code: str, language: str) -> str:
    return classifier_name("h_soato", code, language)


def age_band_name(band: str, language: str) -> str:
    """An age band ("18-20", "-17", "31-": hemis.rollups.figures.age_band_names) in words."""
    low, _, high = band.partition("-")
    if not low:
        return translate("reporting.age.under", language, age=int(high) + 1)
    if not high:
        return translate("reporting.age.over", language, age=low)
    return translate("reporting.age.range", language, low=low, high=high)


def value_name(dimension: str, code: str, language: str) -> str:
    """What a code of `dimension` is called ('11' of education_type → 'Bakalavriat')."""
    if dimension == "age_band":
        return age_band_name(code, language)
    if dimension in CLASSIFIED:
        return classifier_name(CLASSIFIED[dimension], code, language)
    if dimension in CATALOGUED:
        key = f"reporting.{dimension}.{code}"
        text = translate(key, language)
        return code if text == key else text
    if not code:
        return translate("reporting.unknown", language)
    return code


def column(key: str, language: str) -> str:
    """A column's header: a dimension, a measure or an indicator."""
    name = f"reporting.column.{key}"
    text = translate(name, language)
    return key if text == name else text
