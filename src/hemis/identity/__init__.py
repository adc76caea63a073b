"""Identity and access: accounts, passwords, second factors, server-side sessions, sign-in limits."""
