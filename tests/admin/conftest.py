"""Admin fixtures: the small term of the results tests (a curriculum with subjects)."""

from tests.results.conftest import group, term  # noqa: F401  (fixtures reused)
from tests.students.conftest import admin  # noqa: F401
