"""Stipends (issue 6): national rates, university rules, assignments, monthly payroll runs approved by a second person, exports."""
