"""Passwords (argon2id) and TOTP (RFC 6238 test vectors)."""

from __future__ import annotations

import base64

import pytest

from hemis.identity import totp
from hemis.identity.passwords import hash_password, needs_rehash, verify_password

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
     (2000000000, "69279037"), (20000000000, "65353130")],
)  # fmt: skip
def test_rfc6238_sha1_vectors(unix_time: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, unix_time // 30, digits=8) == code


def test_verify_accepts_drift_of_one_step_and_names_the_step() -> None:
    secret = totp.new_secret()
    now = 1_700_000_000.0
    current = totp.code_at(secret, int(now // 30))
    previous = totp.code_at(secret, int(now // 30) - 1)
    assert totp.verify(secret, current, now) == int(now // 30)
    assert totp.verify(secret, previous, now) == int(now // 30) - 1
    assert totp.verify(secret, totp.code_at(secret, int(now // 30) - 3), now) is None
    assert totp.verify(secret, "12345", now) is None and totp.verify(secret, "abcdef", now) is None


def test_passwords_hash_and_verify() -> None:
    stored = hash_password("to'g'ri-parol-123")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "to'g'ri-parol-123")
    assert not verify_password(stored, "noto'g'ri-parol")
    assert not verify_password(None, "anything at all")  # no account: still a full check, still False
    assert not verify_password("not a hash", "x")
    assert not needs_rehash(stored)
