"""Finance in the admin console: fee structures, discounts and plans are written through the same
services as the API (same checks, same Uzbek messages); contracts and the ledger are read-only."""

from __future__ import annotations

import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenants.context import TenantRef
from tests.admin.test_console import csrf, signed_in
from tests.finance.conftest import F, Setup, fee_body
from tests.finance.test_fees import QUARTERS

CONSOLE = "/t/alpha/admin/api/tables"


async def test_finance_tables_through_the_services(
    fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
) -> None:
    admin = await csrf(fin.client, "/t/alpha/admin", await signed_in(fin.client, maker, tenants["alpha"]))
    names = set((await fin.client.get(f"{CONSOLE}/", headers=admin)).json())
    assert {"fee_structure", "fee_discount", "instalment_plan", "contract", "ledger_entry"} <= names

    both = fee_body(fin.specialty["id"], bhm_coefficient="3")
    refused = await fin.client.post(f"{CONSOLE}/fee_structure/", headers=admin, json={**both, "id": None})
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "bhm_coefficient"
    assert "qat'iy summa" in refused.json()["custom_form_error"]

    # The console edits JSON as text: a plan's parts arrive as a string and are checked all the same.
    code = f"C{uuid.uuid4().hex[:8]}"
    bad_plan = [{"share": "60", "month": 10, "day": 1}]
    bad = await fin.client.post(
        f"{CONSOLE}/instalment_plan/", headers=admin,
        json={"code": code, "name": "Yomon", "parts": json.dumps(bad_plan), "active": True},
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "parts"
    made = await fin.client.post(
        f"{CONSOLE}/instalment_plan/", headers=admin,
        json={"code": code, "name": "Choraklar", "parts": json.dumps(QUARTERS), "active": True},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    plan = await fin.client.get(f"{F}/instalment-plans/{made.json()[0]['id']}", headers=fin.accountant)
    assert plan.json()["parts"] == QUARTERS

    for table in ("contract", "ledger_entry", "contract_instalment"):
        assert (await fin.client.post(f"{CONSOLE}/{table}/", headers=admin, json={})).status_code == 405
