"""Grading: scales, e-journal marks (JN/ON/YN), retakes, sheet locking, GPA and rating."""
