"""Fixtures of the reporting tests: the roll-up worker, a ministry analyst, students made through the
API at alpha and beta, and the national figures recomputed from them."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from hemis.app import HemisApp
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.rollups.worker import RollupWorker
from tests.conftest import TokenFactory
from tests.students.conftest import admin, group, new_group, student_body  # noqa: F401  (fixtures reused)

N = "/t/national/api/v1/national"


@pytest.fixture
def worker(app: HemisApp, settings: Settings) -> RollupWorker:
    return RollupWorker(app.engine, settings.tenancy.role_prefix)


@pytest.fixture
async def recompute(worker: RollupWorker) -> Any:
    """Recompute every university's figures (the cached answers must notice by themselves)."""

    async def run() -> None:
        await worker.recompute()

    return run


@pytest.fixture
async def ministry(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("national", Role.ANALYST)


@pytest.fixture
async def beta_registrar(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("beta", Role.REGISTRAR)


@pytest.fixture
async def beta_group(client: httpx.AsyncClient, beta_registrar: dict[str, str]) -> dict[str, Any]:
    return await new_group(client, beta_registrar, "beta", "Iqtisodiyot fakulteti")


async def enrol(
    client: httpx.AsyncClient, code: str, into: dict[str, Any], headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    """A student made through the API at university `code`."""
    response = await client.post(
        f"/t/{code}/api/v1/students", json=student_body(into, **overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def xlsx_rows(body: bytes) -> list[list[str]]:
    """The first sheet's cells as text, read with zipfile and ElementTree (no spreadsheet library)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = [
                "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)
            ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells: dict[int, str] = {}
        for cell in row.findall("m:c", ns):
            column = _column(re.sub(r"\d", "", cell.get("r", "A")))
            value = cell.find("m:v", ns)
            inline = cell.find("m:is", ns)
            if cell.get("t") == "s" and value is not None:
                cells[column] = shared[int(value.text or 0)]
            elif inline is not None:
                cells[column] = "".join(t.text or "" for t in inline.iter(f"{{{ns['m']}}}t"))
            else:
                cells[column] = value.text or "" if value is not None else ""
        rows.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
    return rows


def _column(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1
