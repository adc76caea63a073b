"""Results: totals, grades, debts, GPA per year, moving on, and ratings (DOMAIN.md)."""
