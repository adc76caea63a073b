"""The write path every tenant resource shares: get, create, update, delete, audited.

Database constraints stay the last word: a unique or foreign-key violation becomes a
409/422 that names the field (from the constraint name), never a 500.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.db import TenantModel
from hemis.core.errors import HemisError, NotFound

M = TypeVar("M", bound=TenantModel)


class Duplicate(HemisError):
    status_code = 409
    message_key = "error.duplicate"


class InUse(HemisError):
    status_code = 409
    message_key = "error.in_use"


class BadReference(HemisError):
    status_code = 422
    message_key = "error.reference"


class Invalid(HemisError):
    status_code = 422
    message_key = "error.validation"


class CrudService(Generic[M]):
    """Subclasses set `model`; override `check()` for rules that span fields or rows."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession, *, actor: str) -> None:
        self.session = session
        self.actor = actor

    @property
    def entity(self) -> str:
        return str(self.model.__tablename__)

    async def get(self, item_id: int) -> M:
        row: M | None = await self.session.get(self.model, item_id)
        if row is None:
            raise NotFound(field="id")
        return row

    async def check(self, values: dict[str, Any], current: M | None) -> None:
        """Rules beyond the schema (references, hierarchy); raise a HemisError naming the field."""

    async def create(self, values: dict[str, Any]) -> M:
        await self.check(values, None)
        row: M = self.model(**values)
        self.session.add(row)
        await self._flush(values)
        await audit.record(
            self.session,
            f"{self.entity}.created",
            entity=self.entity,
            entity_id=row.id,
            actor=self.actor,
            data=_jsonable(values),
        )
        return row

    async def update(self, item_id: int, changes: dict[str, Any]) -> M:
        row = await self.get(item_id)
        await self.check({**_columns(row), **changes}, row)
        before = {k: getattr(row, k) for k in changes}
        for key, value in changes.items():
            setattr(row, key, value)
        await self._flush(changes)
        await audit.record(
            self.session,
            f"{self.entity}.updated",
            entity=self.entity,
            entity_id=row.id,
            actor=self.actor,
            data={"before": _jsonable(before), "after": _jsonable(changes)},
        )
        return row

    async def delete(self, item_id: int) -> None:
        row = await self.get(item_id)
        await self.session.delete(row)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise InUse(field="id") from exc
        await audit.record(
            self.session,
            f"{self.entity}.deleted",
            entity=self.entity,
            entity_id=item_id,
            actor=self.actor,
            data=_jsonable(_columns(row)),
        )

    async def exists(self, model: type[Any], item_id: int) -> bool:
        return await self.session.scalar(select(model.id).where(model.id == item_id)) is not None

    async def _flush(self, values: dict[str, Any]) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            name = str(getattr(getattr(exc.orig, "__cause__", None), "constraint_name", "") or "")
            field = next((k for k in values if name.endswith(f"_{k}")), None)
            if name.startswith("uq_"):
                raise Duplicate(field=field or "id") from exc
            if name.startswith("fk_"):
                raise BadReference(field=next((k for k in values if k in name), "id")) from exc
            if name.startswith("ck_"):  # a CHECK the service did not pre-empt: still the caller's input
                raise Invalid(field=next((k for k in values if k in name), "body")) from exc
            raise


def _columns(row: Any) -> dict[str, Any]:
    return {
        c.key: getattr(row, c.key)
        for c in row.__table__.columns
        if c.key not in {"id", "created_at", "updated_at"}
    }


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v) for k, v in values.items()}
