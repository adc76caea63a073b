"""GET /api/v1/classifiers: on the platform host and on every tenant host, in four languages."""

from __future__ import annotations

import httpx
import pytest


class TestListClassifiers:
    async def test_lists_with_counts_in_english(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/classifiers?l=en-US")
        assert response.status_code == 200
        by_code = {c["code"]: c for c in response.json()}
        assert by_code["h_student_status"]["name"] == "Student status"
        assert by_code["h_student_status"]["item_count"] == 4

    @pytest.mark.parametrize("prefix", ["", "/t/alpha", "/t/national"])
    async def test_readable_from_every_host(self, client: httpx.AsyncClient, prefix: str) -> None:
        response = await client.get(f"{prefix}/api/v1/classifiers/h_payment_form")
        assert response.status_code == 200
        assert [i["name"] for i in response.json()["items"]] == ["Davlat granti", "To'lov-shartnoma"]


class TestGetClassifier:
    async def test_districts_of_a_region_in_russian(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/classifiers/h_soato?parent=1726&l=ru")
        body = response.json()
        assert body["total"] == 12
        assert all(i["parent_code"] == "1726" for i in body["items"])
        assert any("Чиланзар" in i["name"] for i in body["items"])

    async def test_search_and_paging(self, client: httpx.AsyncClient) -> None:
        first = (await client.get("/api/v1/classifiers/h_semester?limit=5&offset=0")).json()
        second = (await client.get("/api/v1/classifiers/h_semester?limit=5&offset=5")).json()
        assert first["total"] == second["total"] == 12
        assert {i["code"] for i in first["items"]}.isdisjoint({i["code"] for i in second["items"]})
        found = (await client.get("/api/v1/classifiers/h_education_form?search=sirtqi")).json()
        assert {i["code"] for i in found["items"]} == {"13", "14"}

    async def test_extra_attributes_are_returned(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/api/v1/classifiers/h_stipend_rate")).json()
        amounts = {i["code"]: i["extra"]["amount"] for i in body["items"]}
        assert amounts["11"] == 428000 and amounts["12"] == 513600
