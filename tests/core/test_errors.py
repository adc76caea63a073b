"""Bad input is a 4xx problem+json naming the field, in the caller's language."""

from __future__ import annotations

import httpx
import pytest

from hemis.core.errors import PROBLEM_MEDIA_TYPE


class TestValidationErrors:
    async def test_out_of_range_query_is_422_with_field_in_russian(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/classifiers/h_gender?limit=500&l=ru-RU")
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
        body = response.json()
        assert body["field"] == "limit"
        assert body["detail"] == "Поле «limit» заполнено неверно: значение должно быть не больше 200"
        assert body["errors"] == [{"field": "limit", "message": body["detail"]}]
        assert body["request_id"] == response.headers["x-request-id"]

    @pytest.mark.parametrize(
        ("lang", "fragment"),
        [
            ("uz", "\"offset\" maydoni noto'g'ri"),
            ("oz", '"offset" майдони нотўғри'),
            ("en", 'Field "offset" is not valid'),
        ],
    )
    async def test_wrong_type_names_field_in_each_language(
        self, client: httpx.AsyncClient, lang: str, fragment: str
    ) -> None:
        response = await client.get(f"/api/v1/classifiers/h_gender?offset=abc&l={lang}")
        assert response.status_code == 422
        assert fragment in response.json()["detail"]

    async def test_accept_language_is_used_without_l(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/api/v1/classifiers/h_gender?limit=0", headers={"Accept-Language": "en-GB,en;q=0.9"}
        )
        assert response.json()["detail"] == 'Field "limit" is not valid: the value must be at least 1'


class TestHttpErrors:
    async def test_unknown_route_is_404_problem(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.json()["detail"] == "Ma'lumot topilmadi."

    async def test_wrong_method_is_405_problem(self, client: httpx.AsyncClient) -> None:
        response = await client.delete("/api/v1/classifiers?l=en")
        assert response.status_code == 405
        assert response.json()["detail"] == "This method is not allowed."

    async def test_business_not_found_names_the_field(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/t/alpha/api/v1/classifiers/h_nope?l=ru")
        assert response.status_code == 404
        assert response.json()["field"] == "code"
        assert response.json()["detail"] == "Классификатор «h_nope» не найден."


class TestNeverA500ForBadInput:
    @pytest.mark.parametrize(
        "url", ["/api/v1/classifiers/h%00x", "/api/v1/classifiers/h_gender?search=a%00b"]
    )
    async def test_nul_byte_is_422(self, client: httpx.AsyncClient, url: str) -> None:
        response = await client.get(url + ("&" if "?" in url else "?") + "l=en")
        assert response.status_code == 422
        assert response.json()["code"] == "error.invalid_value"

    async def test_unreachable_registry_is_503_problem_not_a_crash(self) -> None:
        from litestar import Litestar

        from tenants.middleware import TenantEdge

        class BrokenResolver:
            async def by_host(self, host: str) -> None:
                raise ConnectionError("registry down")

            async def by_code(self, code: str) -> None:
                raise ConnectionError("registry down")

        edge = TenantEdge(Litestar([]), BrokenResolver(), ["testserver"], True)  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=edge), base_url="http://testserver"
        ) as c:
            response = await c.get("/api/v1/institution?l=ru", headers={"Host": "alpha.localhost"})
        assert response.status_code == 503
        assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
        assert response.json()["detail"] == "Сервис временно недоступен. Повторите попытку позже."
        assert response.headers["x-request-id"]
