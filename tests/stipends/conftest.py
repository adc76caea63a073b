"""Fixtures of the stipends tests: the small term of the results tests (a first-year group)."""

from tests.results.conftest import admin, group, term  # noqa: F401  (fixtures reused)
