"""Support-access fixtures: a group to hold students (for the personal-data check)."""

from tests.students.conftest import admin, group  # noqa: F401  (fixtures reused)
