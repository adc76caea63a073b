"""Fixtures of the stipends tests: the small term of the results tests (a first-year group), and
two people of accounting (one prepares a payroll, the other approves it)."""

import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.results.conftest import admin, group, term  # noqa: F401  (fixtures reused)


@pytest.fixture
async def accountant(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ACCOUNTANT)


@pytest.fixture
async def second(token_for: TokenFactory) -> dict[str, str]:
    """Another person of accounting (a second token: another subject)."""
    return await token_for("alpha", Role.ACCOUNTANT, Role.ADMIN)
