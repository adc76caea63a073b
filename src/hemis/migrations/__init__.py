"""Alembic trees: `shared` (shared, ref, national schemas) and `tenant` (one tenant schema)."""
