"""Reporting (issue 7): the ministry's and each university's dashboards, exports and public statistics,
all read from the national roll-ups (hemis.rollups), never from another university's schema."""
