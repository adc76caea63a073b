"""Classifier releases: versioned upserts that retire, never delete; reading in a language."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.classifiers.service import load_data, load_release
from tenants.context import TenantRef


def _data_ok(data: dict[str, Any]) -> None:
    for classifier in data["classifiers"]:
        codes = [i["code"] for i in classifier["items"]]
        assert len(codes) == len(set(codes)), classifier["code"]
        for item in classifier["items"]:
            assert all(item["name"][lang].strip() for lang in ("uz", "oz", "ru", "en")), item
            if "parent" in item:
                assert item["parent"] in codes


class TestShippedData:
    def test_items_are_complete_and_consistent(self) -> None:
        _data_ok(load_data())

    @pytest.mark.parametrize(
        ("classifier", "code", "uz"),
        [
            ("h_student_status", "11", "O'qimoqda"),
            ("h_payment_form", "11", "Davlat granti"),
            ("h_education_form", "13", "Sirtqi"),
            ("h_exam_type", "13", None),
            ("h_marking_system", "13", None),
            ("h_soato", "1726", None),
        ],
    )
    def test_hemis_codes_are_present(self, classifier: str, code: str, uz: str | None) -> None:
        data = {c["code"]: {i["code"]: i for i in c["items"]} for c in load_data()["classifiers"]}
        assert code in data[classifier]
        if uz:
            assert data[classifier][code]["name"]["uz"] == uz

    def test_all_required_lists_ship(self) -> None:
        required = {
            "h_education_type",
            "h_education_form",
            "h_payment_form",
            "h_student_status",
            "h_course",
            "h_semester",
            "h_training_type",
            "h_exam_type",
            "h_marking_system",
            "h_grade_type",
            "h_subject_type",
            "h_subject_block",
            "h_education_week_type",
            "h_expel_reason",
            "h_stipend_rate",
            "h_structure_type",
            "h_gender",
            "h_citizenship_type",
            "h_academic_degree",
            "h_academic_rank",
            "h_soato",
        }
        assert required <= {c["code"] for c in load_data()["classifiers"]}


class TestLoadRelease:
    async def test_same_version_twice_is_a_no_op(
        self, owner: AsyncEngine, tenants: dict[str, TenantRef]
    ) -> None:
        async with owner.begin() as conn:
            assert await load_release(conn, load_data()) is False

    async def test_new_release_updates_retires_and_restores(
        self, owner: AsyncEngine, tenants: dict[str, TenantRef]
    ) -> None:
        data = copy.deepcopy(load_data())
        data["version"] = "test.2"
        gender = next(c for c in data["classifiers"] if c["code"] == "h_gender")
        gender["items"] = [i for i in gender["items"] if i["code"] != "10"]
        gender["items"][0]["name"]["en"] = "Male (renamed)"
        async with owner.connect() as conn:
            trans = await conn.begin()
            try:
                assert await load_release(conn, data) is True
                rows = {
                    r.code: r
                    for r in await conn.execute(
                        text(
                            "SELECT code, name_en, retired_version FROM ref.classifier_item WHERE classifier_code = 'h_gender'"
                        )
                    )
                }
                assert rows["10"].retired_version == "test.2"  # kept, so old records still resolve
                assert rows["11"].name_en == "Male (renamed)" and rows["11"].retired_version is None
                data["version"] = "test.3"
                await load_release(conn, load_data() | {"version": "test.3"})
                restored = await conn.scalar(
                    text(
                        "SELECT retired_version FROM ref.classifier_item WHERE classifier_code = 'h_gender' AND code = '10'"
                    )
                )
                assert restored is None
            finally:
                await trans.rollback()
