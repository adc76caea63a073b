"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30 s) as authenticator apps
make them. Small and fixed by the RFC, so our own code, tested against its test vectors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time

STEP = 30
DIGITS = 6


def new_secret() -> str:
    """A 160-bit secret in base32, as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def code_at(secret: str, counter: int, digits: int = DIGITS) -> str:
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def verify(secret: str, code: str, now: float | None = None, *, window: int = 1) -> int | None:
    """The time step `code` matches (±`window` steps for clock drift), or None. Callers store
    the step and refuse it next time, so a code cannot be replayed."""
    if not (code.isascii() and code.isdigit()) or len(code) != DIGITS:
        return None
    step = int((time.time() if now is None else now) // STEP)
    for candidate in range(step - window, step + window + 1):
        if hmac.compare_digest(code_at(secret, candidate), code):
            return candidate
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """otpauth:// URI for a QR code."""
    from urllib.parse import quote

    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits={DIGITS}&period={STEP}"
