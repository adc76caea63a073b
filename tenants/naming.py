"""Schema and role names: the only place that builds or quotes a tenant identifier."""

from __future__ import annotations

import re

# Lower-case, starts with a letter, short enough that prefix + "t_" + code fits
# PostgreSQL's 63-byte identifier limit.
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
PREFIX_RE = re.compile(r"^([a-z][a-z0-9_]{0,24}_)?$")
SHARED_SCHEMA = "shared"
REF_SCHEMA = "ref"
NATIONAL_SCHEMA = "national"
RESERVED_CODES = frozenset({"shared", "ref", "public"})


class InvalidIdentifierError(ValueError):
    """A tenant code or role prefix that could not be a safe identifier."""


def validate_code(code: str) -> str:
    if not CODE_RE.fullmatch(code) or code in RESERVED_CODES:
        raise InvalidIdentifierError(f"invalid tenant code {code!r}")
    return code


def validate_prefix(prefix: str) -> str:
    if not PREFIX_RE.fullmatch(prefix):
        raise InvalidIdentifierError(f"invalid role prefix {prefix!r}")
    return prefix


def schema_name(code: str) -> str:
    return f"t_{validate_code(code)}"


def code_from_schema(schema: str) -> str:
    if not schema.startswith("t_"):
        raise InvalidIdentifierError(f"not a tenant schema: {schema!r}")
    return validate_code(schema[2:])


def tenant_role(code: str, prefix: str = "") -> str:
    return f"{validate_prefix(prefix)}t_{validate_code(code)}"


def app_role(prefix: str = "") -> str:
    """The LOGIN role the API connects as: NOINHERIT, a member of every tenant role."""
    return f"{validate_prefix(prefix)}hemis_app"


def shared_role(prefix: str = "") -> str:
    """The NOLOGIN role of shared-only transactions (tenant registry, classifiers)."""
    return f"{validate_prefix(prefix)}hemis_shared"


# A DNS host name: labels of letters, digits and inner hyphens, at least one dot.
DOMAIN_RE = re.compile(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
)


def validate_domain(domain: str) -> str:
    """'TATU.hemis.uz.' → 'tatu.hemis.uz'; ports, paths, spaces and bare names are refused."""
    normal = domain.strip().lower().rstrip(".")
    if not DOMAIN_RE.fullmatch(normal):
        raise InvalidIdentifierError(f"invalid domain {domain!r}")
    return normal


def ref_reader_role(prefix: str = "") -> str:
    """The NOLOGIN role holding SELECT on schema ref; every tenant role and the shared role get it."""
    return f"{validate_prefix(prefix)}hemis_ref_reader"


def national_role(prefix: str = "") -> str:
    """The NOLOGIN role of the roll-up worker's transactions: writes schema national."""
    return f"{validate_prefix(prefix)}hemis_national"


def national_reader_role(prefix: str = "") -> str:
    """The NOLOGIN role that reads every university's rows in schema national: the national
    tenant's role and the worker hold it; a university's role reads only its own rows."""
    return f"{validate_prefix(prefix)}hemis_national_reader"


def quote(identifier: str) -> str:
    """Quote an identifier that has already passed one of the validators above."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", identifier):
        raise InvalidIdentifierError(f"refusing to quote {identifier!r}")
    return f'"{identifier}"'


def tenant_search_path(code: str) -> str:
    return f"{schema_name(code)}, {REF_SCHEMA}"


SHARED_SEARCH_PATH = f"{SHARED_SCHEMA}, {REF_SCHEMA}"
NATIONAL_SEARCH_PATH = f"{NATIONAL_SCHEMA}, {REF_SCHEMA}"
