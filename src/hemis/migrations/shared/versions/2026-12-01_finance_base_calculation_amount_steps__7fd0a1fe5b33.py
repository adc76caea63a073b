"""finance base calculation amount: the steps of 2021-09-01, 2022-06-01 and 2023-05-01

The first release (7f2415a72822) left out the rise to 300,000 so'm of 1 June 2022 and dated two
others wrongly: 270,000 so'm from 1 September 2021 (not 1 April 2022) and 330,000 so'm from 1 May
2023 (not 1 June 2023). From 2021-09-01 to 2022-03-31, from 2022-06-01 to 2023-05-31 and in May
2023 the BHM in force was therefore too low, and a fee set as a coefficient of it too. The
missing and rightly dated steps are added; the two misdated rows, which record no change on
their day, are removed. The presidential decrees as reported at the time:
- 17 Aug 2021 (Sputnik, 18.08.2021): from 1 September 2021, 270,000 so'm (was 245,000);
- 20 May 2022 (xabardor.uz 21.05.2022, spot.uz 24.05.2022): from 1 June 2022, 300,000 (was 270,000);
- March 2023 (kursiv.media 28.03.2023, bankvabiznes.uz): from 1 May 2023, 330,000 (was 300,000).

Revision ID: 7fd0a1fe5b33
Revises: ea2104efa9a1
Create Date: 2026-12-01 23:02:12.148230
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "7fd0a1fe5b33"
down_revision: str | Sequence[str] | None = "ea2104efa9a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDED = ((date(2021, 9, 1), 270_000), (date(2022, 6, 1), 300_000), (date(2023, 5, 1), 330_000))
MISDATED = ((date(2022, 4, 1), 270_000), (date(2023, 6, 1), 330_000))

table = sa.table(
    "base_calculation_amount",
    sa.column("valid_from", sa.Date()),
    sa.column("amount", sa.BigInteger()),
    sa.column("note", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    schema="ref",
)


def _insert(steps: Sequence[tuple[date, int]]) -> None:
    loaded = datetime(2026, 12, 1, tzinfo=UTC)  # fixed: the migration is reproducible
    op.bulk_insert(
        table,
        [
            {
                "valid_from": since,
                "amount": som * 100,
                "note": "BHM",
                "created_at": loaded,
                "updated_at": loaded,
            }
            for since, som in steps
        ],
    )


def _delete(steps: Sequence[tuple[date, int]]) -> None:
    for since, som in steps:
        op.execute(table.delete().where(table.c.valid_from == since, table.c.amount == som * 100))


def upgrade() -> None:
    _delete(MISDATED)
    _insert(ADDED)


def downgrade() -> None:
    _delete(ADDED)
    _insert(MISDATED)
