"""Curriculum fixtures: the small term of the results tests (a curriculum with lines, a group)."""

from tests.results.conftest import admin, group, term  # noqa: F401  (fixtures reused)
