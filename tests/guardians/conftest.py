"""Guardian fixtures: the results tests' small term (a group studying by a curriculum)."""

from tests.results.conftest import group, term  # noqa: F401  (fixtures reused)
from tests.students.conftest import admin  # noqa: F401
