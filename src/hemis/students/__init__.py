"""Contingent: academic groups, students, and the history of every status change."""
