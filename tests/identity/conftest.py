"""Identity fixtures: the small term of the results tests, for scope checks."""

from tests.results.conftest import group, term  # noqa: F401  (fixtures reused)
