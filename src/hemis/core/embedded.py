"""The embedded PostgreSQL (pgserver wheel) used when no DATABASE_URL is given."""

from __future__ import annotations

from typing import Any

from hemis.config import Settings

_servers: dict[str, Any] = {}  # keep handles alive: pgserver stops the server with the last one


def ensure_database_url(settings: Settings) -> Settings:
    """Fill settings.db.url from a private PostgreSQL under settings.db.embedded_dir if unset."""
    if settings.db.url:
        return settings
    import pgserver  # imported lazily: servers with DATABASE_URL never load it

    datadir = settings.db.embedded_dir
    datadir.mkdir(parents=True, exist_ok=True)
    key = str(datadir)
    if key not in _servers:
        _servers[key] = pgserver.get_server(datadir, cleanup_mode="stop")  # type: ignore[attr-defined]
    settings.db.url = _servers[key].get_uri()
    return settings
