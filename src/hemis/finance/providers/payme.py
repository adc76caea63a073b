"""Payme merchant API (JSON-RPC 2.0), the card rail inside Uzbekistan where Stripe does not serve
merchants: one endpoint per university, HTTP Basic `Paycom:<merchant key>` of that university.

Account: `{"contract": "<contract number>"}` (the field to register in the Payme cashbox).
Amounts are tiyin, times Payme's milliseconds. States: 1 created, 2 performed, -1 cancelled
before perform, -2 cancelled after perform. A transaction not performed within 12 hours of its
creation is cancelled with reason 4 when Payme next touches it (Create or Perform answer -31008).
Every method is idempotent: repeating a call returns the same answer and changes nothing.
PerformTransaction writes the ledger payment (once: the transaction row is locked and the entry is
idempotent per Payme id), CancelTransaction after perform writes the refund. Create, Perform and
Cancel requests are kept raw in payment_event (`<method>:<payme id>`; a repeat is a duplicate),
requests with a wrong key as rejected. Errors carry Payme's codes and a message in ru/uz/en.
The HTTP status is always 200, as Payme expects.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.config import PaymentSettings
from hemis.core.i18n import translate
from hemis.finance.ledger import LedgerService
from hemis.finance.models import Contract, PaymeTransaction
from hemis.finance.payments import Outcome, PaymentInbox, provider_account

PROVIDER = "payme"
ACTOR = "provider:payme"
LOGIN = "Paycom"
ACCOUNT_FIELD = "contract"
TIMEOUT_REASON = 4  # Payme's reason code: cancelled on timeout
log = structlog.get_logger(__name__)
STATE_CHANGING = frozenset({"CreateTransaction", "PerformTransaction", "CancelTransaction"})

# Payme's error codes and our catalog keys (payme.* in core/i18n).
AUTH, PARSE, BAD_REQUEST, NO_METHOD, NOT_POST, SYSTEM = -32504, -32700, -32600, -32601, -32300, -32400
WRONG_AMOUNT, NOT_FOUND, CANNOT_CANCEL, CANNOT_PERFORM = -31001, -31003, -31007, -31008
NO_ACCOUNT, ACCOUNT_CLOSED = -31050, -31051  # within -31050..-31099: the account's errors
KEYS = {
    AUTH: "auth",
    PARSE: "parse",
    BAD_REQUEST: "request",
    NO_METHOD: "method",
    NOT_POST: "post",
    SYSTEM: "system",
    WRONG_AMOUNT: "amount",
    NOT_FOUND: "not_found",
    CANNOT_CANCEL: "cannot_cancel",
    CANNOT_PERFORM: "cannot_perform",
    NO_ACCOUNT: "account",
    ACCOUNT_CLOSED: "account_closed",
}


class PaymeError(Exception):
    def __init__(self, code: int, data: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.data = data


def error(code: int, rpc_id: Any, data: str | None = None) -> dict[str, Any]:
    """A JSON-RPC error as Payme expects it: code, message in ru/uz/en, data (the field)."""
    key = f"payme.{KEYS[code]}"
    message = {lang: translate(key, lang) for lang in ("ru", "uz", "en")}
    return {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": code, "message": message, "data": data}}


def authorised(header: str | None, key: str) -> bool:
    """HTTP Basic with the login Paycom and this university's merchant key (constant time)."""
    if not header or not key or not header.lower().startswith("basic "):
        return False
    try:
        login, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(login.encode(), LOGIN.encode()) & hmac.compare_digest(
        password.encode(), key.encode()
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


def _int(params: dict[str, Any], name: str, code: int = BAD_REQUEST) -> int:
    value = params.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PaymeError(code, name)
    return value


def _str(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise PaymeError(BAD_REQUEST, name)
    return value


class PaymeMerchant:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        settings: PaymentSettings,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self.maker = maker
        self.timeout_ms = settings.payme_timeout_ms
        self.clock = clock

    async def handle(self, body: bytes, authorization: str | None) -> dict[str, Any]:
        """One JSON-RPC call, in one transaction (a timeout's cancel is committed with its -31008).
        A failure of ours is Payme's -32400 (its transaction rolled back; Payme retries)."""
        try:
            return await self._handle(body, authorization)
        except Exception:
            log.exception("payme_failed")
            return error(SYSTEM, None)

    async def _handle(self, body: bytes, authorization: str | None) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return error(PARSE, None)
        if not isinstance(data, dict):
            return error(BAD_REQUEST, None)
        rpc_id = data.get("id")
        method, params = data.get("method"), data.get("params")
        async with self.maker() as session:  # this request's tenant
            inbox = PaymentInbox(session)
            account = await provider_account(session, PROVIDER)
            if account is None or not authorised(authorization, account.api_key):
                await inbox.reject(PROVIDER, body, {}, "auth", event_type=str(method)[:100])
                await session.commit()
                return error(AUTH, rpc_id)
            if not isinstance(method, str) or not isinstance(params, dict):
                return error(BAD_REQUEST, rpc_id)
            handler = self._methods(session).get(method)
            if handler is None:
                return error(NO_METHOD, rpc_id)
            claimed: Outcome | None = None
            if method in STATE_CHANGING and isinstance(params.get("id"), str):
                claimed = await inbox.claim(PROVIDER, f"{method}:{params['id']}", method, body, {})
            try:
                result, entry_id, contract_id = await handler(params)
            except PaymeError as exc:
                if claimed is not None and claimed.status == "pending":
                    await inbox.settle(claimed, "ignored", f"error {exc.code}")
                await session.commit()  # e.g. the cancel of a timed-out transaction
                return error(exc.code, rpc_id, exc.data)
            if claimed is not None and claimed.status == "pending":
                await inbox.settle(claimed, "applied", contract_id=contract_id, ledger_entry_id=entry_id)
            await session.commit()
            return {"jsonrpc": "2.0", "id": rpc_id, "result": result}

    def _methods(
        self, session: AsyncSession
    ) -> dict[str, Callable[[dict[str, Any]], Awaitable[tuple[dict[str, Any], int | None, int | None]]]]:
        calls = _Calls(session, self.timeout_ms, self.clock())
        return {
            "CheckPerformTransaction": calls.check_perform,
            "CreateTransaction": calls.create,
            "PerformTransaction": calls.perform,
            "CancelTransaction": calls.cancel,
            "CheckTransaction": calls.check,
            "GetStatement": calls.statement,
        }


Answer = tuple[dict[str, Any], int | None, int | None]  # result, ledger entry, contract


class _Calls:
    def __init__(self, session: AsyncSession, timeout_ms: int, now: int) -> None:
        self.session = session
        self.timeout_ms = timeout_ms
        self.now = now
        self.ledger = LedgerService(session, actor=ACTOR)

    async def _contract(self, params: dict[str, Any]) -> tuple[Contract, int]:
        """The contract the account names and the amount asked, checked as Payme expects."""
        amount = _int(params, "amount", WRONG_AMOUNT)
        account = params.get("account")
        number = account.get(ACCOUNT_FIELD) if isinstance(account, dict) else None
        if not isinstance(number, str) or not number:
            raise PaymeError(NO_ACCOUNT, ACCOUNT_FIELD)
        contract = await self.session.scalar(select(Contract).where(Contract.number == number))
        if contract is None:
            raise PaymeError(NO_ACCOUNT, ACCOUNT_FIELD)
        if contract.status != "active":
            raise PaymeError(ACCOUNT_CLOSED, ACCOUNT_FIELD)
        # At most what the contract still owes: an overpayment through the rail is refused.
        if not 1 <= amount <= await self.ledger.balance(contract.id):
            raise PaymeError(WRONG_AMOUNT, "amount")
        return contract, amount

    async def _transaction(self, params: dict[str, Any]) -> PaymeTransaction:
        row = await self.session.scalar(
            select(PaymeTransaction).where(PaymeTransaction.payme_id == _str(params, "id")).with_for_update()
        )
        if row is None:
            raise PaymeError(NOT_FOUND, "id")
        return row

    def _expire_if_late(self, row: PaymeTransaction) -> None:
        """A created transaction older than the timeout is cancelled (reason 4) and refused."""
        if row.state == 1 and self.now - row.create_time > self.timeout_ms:
            row.state, row.reason, row.cancel_time = -1, TIMEOUT_REASON, self.now
            raise PaymeError(CANNOT_PERFORM, "id")

    async def check_perform(self, params: dict[str, Any]) -> Answer:
        contract, _ = await self._contract(params)
        return {"allow": True}, None, contract.id

    async def create(self, params: dict[str, Any]) -> Answer:
        payme_id = _str(params, "id")
        payme_time = _int(params, "time")
        existing = await self.session.scalar(
            select(PaymeTransaction).where(PaymeTransaction.payme_id == payme_id).with_for_update()
        )
        if existing is not None:
            if existing.state != 1:
                raise PaymeError(CANNOT_PERFORM, "id")
            self._expire_if_late(existing)
            return _created(existing), None, existing.contract_id
        contract, amount = await self._contract(params)
        if self.now - payme_time > self.timeout_ms:  # Payme asks to create what is already stale
            raise PaymeError(CANNOT_PERFORM, "time")
        row = PaymeTransaction(
            payme_id=payme_id,
            payme_time=payme_time,
            amount=amount,
            contract_id=contract.id,
            account=dict(params["account"]),
            state=1,
            create_time=self.now,
        )
        self.session.add(row)
        await self.session.flush()
        return _created(row), None, contract.id

    async def perform(self, params: dict[str, Any]) -> Answer:
        row = await self._transaction(params)
        entry_id = None
        if row.state == 1:
            self._expire_if_late(row)
            contract = await self.session.get(Contract, row.contract_id, with_for_update=True)
            assert contract is not None
            if contract.status != "active":
                raise PaymeError(CANNOT_PERFORM, "id")
            entry = await self.ledger.record_payment(
                contract,
                row.amount,
                provider=PROVIDER,
                external_id=row.payme_id,
                note=f"Payme {row.payme_id}",
            )
            row.state, row.perform_time, entry_id = 2, self.now, entry.id
        elif row.state != 2:
            raise PaymeError(CANNOT_PERFORM, "id")
        return (
            {"transaction": str(row.id), "perform_time": row.perform_time, "state": row.state},
            entry_id,
            row.contract_id,
        )

    async def cancel(self, params: dict[str, Any]) -> Answer:
        row = await self._transaction(params)
        reason = _int(params, "reason")
        entry_id = None
        if row.state == 1:
            row.state, row.reason, row.cancel_time = -1, reason, self.now
        elif row.state == 2:
            contract = await self.session.get(Contract, row.contract_id, with_for_update=True)
            assert contract is not None
            entry = await self.ledger.record_refund(
                contract,
                row.amount,
                provider=PROVIDER,
                external_id=f"{row.payme_id}:cancel",
                note=f"Payme cancel {row.payme_id} (reason {reason})",
                reversal=True,
            )
            row.state, row.reason, row.cancel_time, entry_id = -2, reason, self.now, entry.id
        return (
            {"transaction": str(row.id), "cancel_time": row.cancel_time, "state": row.state},
            entry_id,
            row.contract_id,
        )

    async def check(self, params: dict[str, Any]) -> Answer:
        row = await self._transaction(params)
        return _full(row, with_payme=False), None, row.contract_id

    async def statement(self, params: dict[str, Any]) -> Answer:
        start, end = _int(params, "from"), _int(params, "to")
        rows = await self.session.scalars(
            select(PaymeTransaction)
            .where(PaymeTransaction.create_time.between(start, end))
            .order_by(PaymeTransaction.create_time, PaymeTransaction.id)
        )
        return {"transactions": [_full(r, with_payme=True) for r in rows]}, None, None


def _created(row: PaymeTransaction) -> dict[str, Any]:
    return {"create_time": row.create_time, "transaction": str(row.id), "state": row.state}


def _full(row: PaymeTransaction, *, with_payme: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "create_time": row.create_time,
        "perform_time": row.perform_time,
        "cancel_time": row.cancel_time,
        "transaction": str(row.id),
        "state": row.state,
        "reason": row.reason,
    }
    if with_payme:
        found |= {"id": row.payme_id, "time": row.payme_time, "amount": row.amount, "account": row.account}
    return found
