"""Probes: /health answers without the database, /ready checks it as the app role."""

from __future__ import annotations

import httpx

from hemis.app import create_app
from hemis.config import Settings


class TestProbes:
    async def test_ready_when_database_answers(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/ready?l=en")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "message": "The system is up."}

    async def test_not_ready_is_503_when_database_refuses(self, settings: Settings) -> None:
        broken = settings.model_copy(deep=True)
        broken.db.app_password = "wrong"
        broken.db.url = broken.db.url.replace("hemis_test_", "hemis_missing_")
        app = create_app(broken)
        async with app.litestar.lifespan():
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                response = await client.get("/ready")
                assert (await client.get("/health")).status_code == 200
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"

    async def test_openapi_docs_are_served(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/docs/openapi.json")
        assert response.status_code == 200
        assert "/api/v1/classifiers" in response.json()["paths"]
