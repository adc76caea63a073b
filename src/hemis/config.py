"""Settings read from the environment (prefix HEMIS_, nested sections split by "__")."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class DatabaseSettings(BaseModel):
    # The owner/migration DSN. `DATABASE_URL` is honoured too (see get_settings) because
    # that is what CI and most hosts set; empty means "start the embedded PostgreSQL".
    url: str = ""
    # The app logs in as a NOINHERIT role that can read nothing until a transaction
    # switches role; its password only matters where the server does not trust loopback.
    app_password: str = "hemis-app-dev"  # noqa: S105 - dev default; set HEMIS_DB__APP_PASSWORD
    # Per worker process. Overflow connections are closed when returned, and every new one starts
    # with cold caches (bench.my_grades measured 1.1-1.3 ms of PostgreSQL CPU per request from
    # that churn): a larger steady pool without overflow serves more.
    pool_size: int = 20
    max_overflow: int = 0
    # Recycle connections so a backend's relcache (which grows with every tenant
    # schema it touches) and prepared statements staled by DDL do not live forever.
    pool_recycle_seconds: int = 1800
    # A pooled connection idle for longer than this is pinged before use; a fresher one is only
    # checked for a closed socket (free). See tenants.database.check_liveness_at_checkout.
    ping_after_idle_seconds: float = 30
    statement_cache_size: int = 500
    embedded_dir: Path = REPO_ROOT / ".hemis" / "pgdata"
    echo: bool = False


class TenancySettings(BaseModel):
    # Roles are cluster-wide while schemas are per database: the prefix keeps the roles
    # of two databases on one server (dev, test workers) apart.
    role_prefix: str = ""
    # Tenants are reached at <code>.<base_domain> and at <code>.localhost in dev.
    base_domain: str = "hemis.localhost"
    # Hosts that serve the platform itself (health, docs, registry), not a tenant.
    platform_hosts: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "[::1]", "::1", "testserver"]
    )
    # Development/test routing: /t/<code>/... ; off in production.
    subfolder_routing: bool = True
    resolver_cache_seconds: float = 10.0
    migrate_parallelism: int = 4


class SentrySettings(BaseModel):
    dsn: str = ""
    environment: str = "development"
    traces_sample_rate: float = 0.0


class I18nSettings(BaseModel):
    default_language: str = "uz"
    languages: list[str] = Field(default_factory=lambda: ["uz", "oz", "ru", "en"])


class IdentitySettings(BaseModel):
    # Sign-in attempts per 15-minute window: per user name (a success clears it), per client address.
    login_limit_per_user: int = 5
    login_limit_per_ip: int = 50
    # Networks single sign-on may call besides the public internet. A provider's URLs are typed by
    # a university's admin (and its token and key URLs come from the provider's own document), so
    # by default the server refuses to reach private, loopback and link-local addresses: no
    # provider setting can make it call the cloud metadata service, Redis or the database.
    # A JSON list of CIDRs, e.g. ["127.0.0.0/8"] for the development and test provider.
    sso_allowed_networks: list[str] = []


class PaymentSettings(BaseModel):
    # Where the Stripe library sends API calls (Checkout Sessions, the event list of the
    # reconciliation job). A platform setting, never a tenant's: a university's configuration
    # must not be able to point the server at another address. Tests use a local fake.
    stripe_api_base: str = "https://api.stripe.com"
    # Seconds a Stripe-Signature timestamp may be old (stripe-python's default, 300).
    stripe_tolerance_seconds: int = 300
    # Payme: a created transaction not performed within this time is cancelled (reason 4).
    payme_timeout_ms: int = 43_200_000  # 12 hours, Payme's documented timeout


class RollupSettings(BaseModel):
    # Run the roll-up worker inside the web process (`hemis demo` turns it on: one process, no
    # second command). In production run `hemis rollups worker` once, beside the web workers.
    in_process: bool = False
    interval_seconds: float = 5.0  # one round over every university's outbox
    parallel: int = 2  # universities recomputed at once


class PushSettings(BaseModel):
    # The VAPID key (RFC 8292) the server signs pushes with: PEM, or base64url of the raw 32-byte
    # key or of its DER. Empty: no web push; pages poll the unread count instead.
    vapid_private_key: str = ""
    subject: str = "mailto:hemis@example.uz"  # who push services contact about our pushes
    # Hosts a subscription's endpoint may name ("*." matches subdomains): the browsers' push
    # services, so no subscription can make the server call an address of its choosing. https
    # only, except for a loopback host listed here (development and tests).
    allowed_hosts: list[str] = Field(
        default_factory=lambda: [
            "fcm.googleapis.com",
            "updates.push.services.mozilla.com",
            "*.notify.windows.com",
            "web.push.apple.com",
        ]
    )
    # Run the sender inside the web process (like the roll-up worker); else `hemis notifications push`.
    in_process: bool = False
    interval_seconds: float = 5.0
    # A notification older than this when the sender first sees it is not pushed (a backlog from
    # while push was off or the sender stopped); it stays in the page.
    max_age_seconds: int = 86_400
    ttl_seconds: int = 86_400  # how long a push service keeps a push for a browser that is offline
    timeout_seconds: float = 10.0


class ReportingSettings(BaseModel):
    # Dashboard answers are kept per worker process under the figures' version (a newer roll-up
    # is never hidden, see hemis.reporting.service); this only bounds how long an unused one
    # stays. 0 turns the cache off (every answer computed anew).
    cache_seconds: float = 300.0
    # On the ministry's host the figures say "changes may be pending" when the roll-up worker has
    # not finished a round for this long (it polls every 5 s by default).
    worker_stale_seconds: float = 60.0


class PortalSettings(BaseModel):
    # Signed-in pages kept per worker process and answered again from memory until their
    # university changes (hemis.portal.page_cache); 0 for either turns it off.
    page_cache_size: int = 20_000  # pages (a home page is ~12 KB)
    # The longest a page is kept: what no notification covers (shared classifiers) is at most
    # this old. Never longer than the sessions' idle timeout less a minute.
    page_cache_seconds: float = 600.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEMIS_", env_nested_delimiter="__", extra="ignore")

    debug: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (the TLS proxy in front):
    # the client address then counts for sign-in limits and the audit, the scheme for Secure
    # cookies. Comma-separated IPs or networks; "" believes nobody. Never "*" on an open port.
    trusted_proxies: str = "127.0.0.1"
    # Admin consoles kept open per worker (each holds a pool of up to 2 connections).
    admin_max_open: int = 32
    log_json: bool = False
    log_level: str = "INFO"
    dump_dir: Path = REPO_ROOT / ".hemis" / "dumps"
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    tenancy: TenancySettings = Field(default_factory=TenancySettings)
    sentry: SentrySettings = Field(default_factory=SentrySettings)
    i18n: I18nSettings = Field(default_factory=I18nSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    payments: PaymentSettings = Field(default_factory=PaymentSettings)
    rollups: RollupSettings = Field(default_factory=RollupSettings)
    reporting: ReportingSettings = Field(default_factory=ReportingSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    portal: PortalSettings = Field(default_factory=PortalSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    if not settings.db.url and os.environ.get("DATABASE_URL"):
        settings.db.url = os.environ["DATABASE_URL"]
    return settings
