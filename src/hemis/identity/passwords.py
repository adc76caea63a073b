"""Password hashing with argon2id (argon2-cffi: the reference implementation's bindings;
OWASP's first choice for password storage). Parameters are the library's RFC 9106 defaults."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when an account does not exist, so a wrong user name costs the same time as a
# wrong password and does not tell which user names exist.
_DUMMY = _hasher.hash("no such account")

MIN_LENGTH = 10  # ASVS 2.1.1: at least 12 for users' passwords; 10 keeps admin-set temporary ones workable


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if `password` matches `stored`; a missing hash still spends the time of a check."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
