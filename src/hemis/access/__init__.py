"""Access for machine clients: tenant API tokens with roles (HEMIS's Backend API tokens)."""
