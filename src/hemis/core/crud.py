"""The write path every tenant resource shares: get, create, update, delete, audited.

Database constraints stay the last word: a unique, foreign-key or check violation
becomes a 409/422 naming the field (found from the constraint's columns), never a 500.
Personal fields never reach the insert-only audit trail in clear: only that they changed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.auth import Principal
from hemis.core.db import TenantModel
from hemis.core.errors import HemisError, NotFound

M = TypeVar("M", bound=TenantModel)
MASK = "[personal data]"


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
    """Subclasses set `model` (and `personal` fields); override `check()` for cross-field rules."""

    model: ClassVar[type[Any]]
    # Fields that identify a person: audited as "[personal data]", never in clear.
    personal: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, session: AsyncSession, *, actor: str, principal: Principal | None = None) -> None:
        self.session = session
        self.actor = actor
        self.principal = principal  # for services that scope what a signed-in person may touch

    @property
    def entity(self) -> str:
        return str(self.model.__tablename__)

    async def get(self, item_id: int, *, for_update: bool = False) -> M:
        row: M | None = await self.session.get(self.model, item_id, with_for_update=for_update)
        if row is None:
            raise NotFound(field="id")
        return row

    async def check(self, values: dict[str, Any], current: M | None, changed: frozenset[str]) -> None:
        """Rules beyond the schema. `values` is the whole would-be row, `changed` what the caller sent:
        check references and codes of `changed` only, so a retired code on an untouched field
        does not block an unrelated edit; raise a HemisError naming a field the caller sent."""

    async def create(self, values: dict[str, Any]) -> M:
        await self.check(values, None, frozenset(values))
        row: M = self.model(**values)
        self.session.add(row)
        await self._flush(values)
        await self.session.refresh(row)  # answer what is stored (numeric scale, defaults), not what was sent
        await self._audit("created", row.id, self._auditable(values))
        return row

    async def update(self, item_id: int, changes: dict[str, Any]) -> M:
        row = await self.get(item_id, for_update=True)
        await self.check({**_columns(row), **changes}, row, frozenset(changes))
        before = {k: getattr(row, k) for k in changes}
        for key, value in changes.items():
            setattr(row, key, value)
        await self._flush(changes)
        await self._audit(
            "updated", row.id, {"before": self._auditable(before), "after": self._auditable(changes)}
        )
        return row

    async def delete(self, item_id: int) -> None:
        row = await self.get(item_id, for_update=True)
        await self.session.delete(row)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise InUse(field="id") from exc
        await self._audit("deleted", item_id, self._auditable(_columns(row)))

    async def exists(self, model: type[Any], item_id: int) -> bool:
        return await self.session.scalar(select(model.id).where(model.id == item_id)) is not None

    async def _audit(self, verb: str, item_id: int, data: dict[str, Any]) -> None:
        await audit.record(
            self.session,
            f"{self.entity}.{verb}",
            entity=self.entity,
            entity_id=item_id,
            actor=self.actor,
            data=data,
        )

    def _auditable(self, values: dict[str, Any]) -> dict[str, Any]:
        return {
            k: MASK if k in self.personal and v not in (None, "") else _plain(v) for k, v in values.items()
        }

    async def _flush(self, values: dict[str, Any]) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            name = str(getattr(getattr(exc.orig, "__cause__", None), "constraint_name", "") or "")
            columns = _constraint_columns(self.model, name)
            field = next((c for c in columns if c in values), None) or next(iter(columns), "body")
            kind = _constraint_kind(self.model, name)
            if kind is UniqueConstraint:
                raise Duplicate(field=field) from exc
            if kind is ForeignKeyConstraint:
                raise BadReference(field=field) from exc
            raise Invalid(field=field) from exc  # CHECK, NOT NULL: still the caller's input


def _constraint_columns(model: type[Any], name: str) -> list[str]:
    for constraint in model.__table__.constraints:
        if constraint.name == name:
            return [c.name for c in constraint.columns]
    for index in model.__table__.indexes:
        if index.name == name:
            return [c.name for c in index.columns]
    return []


def _constraint_kind(model: type[Any], name: str) -> type[Any] | None:
    for constraint in model.__table__.constraints:
        if constraint.name == name:
            return type(constraint)
    if any(index.name == name and index.unique for index in model.__table__.indexes):
        return UniqueConstraint
    return CheckConstraint if name.startswith("ck_") else None


def _columns(row: Any) -> dict[str, Any]:
    return {
        c.key: getattr(row, c.key)
        for c in row.__table__.columns
        if c.key not in {"id", "created_at", "updated_at"}
    }


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
