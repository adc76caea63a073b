"""Platform staff (support, ministry) and their time-boxed, audited read-only access to a tenant."""
