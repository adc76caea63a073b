"""The generated piccolo-admin console (empty until the admin issue lands)."""
