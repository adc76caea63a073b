"""Attendance fixtures: reuse the registrar, group and term of the students and grading tests."""

from tests.grading.conftest import term  # noqa: F401
from tests.students.conftest import admin, group  # noqa: F401
