"""The institution profile: who this tenant is (names, HEMIS code, region, contacts)."""
