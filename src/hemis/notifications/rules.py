"""Pure rules of notifications: rendering a notification's texts, which push endpoints the server
may call, the shape of a browser's keys, and the VAPID key (no I/O here)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from hemis.core.i18n import translate

LOOPBACK_NAMES = frozenset({"localhost"})


def texts(message_key: str, params: Mapping[str, Any], language: str) -> tuple[str, str]:
    """(title, body) of a notification in `language`: `message_key` names a catalog table with
    `title` and `body`; a `control` (JN/ON/YN) or a `weekday` (1-6) among the params is named
    in words too."""
    values = dict(params)
    if "control" in values:
        values["control_name"] = translate(f"notification.control.{values['control']}", language)
    if "weekday" in values:  # a lesson's place: Monday … Saturday in the reader's words
        values["weekday_name"] = translate(f"timetable.page.weekday_{values['weekday']}", language)
    return (
        translate(f"{message_key}.title", language, **values),
        translate(f"{message_key}.body", language, **values),
    )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in LOOPBACK_NAMES


def _host_allowed(host: str, allowed: Sequence[str]) -> bool:
    for pattern in allowed:
        pattern = pattern.lower().strip("[]")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def endpoint_allowed(endpoint: str, allowed: Sequence[str]) -> bool:
    """A push endpoint the server may POST to: https on an allowed push service's host (http only
    on a listed loopback host, for development and tests); no user name, password or fragment."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        return False
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(host)):
        return False
    return _host_allowed(host, allowed)


def b64url_decode(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def valid_p256dh(value: str) -> bool:
    """An uncompressed P-256 point (65 bytes, 0x04 first) that lies on the curve, as browsers
    give it (RFC 8291): a key that is not would make every later encryption to it fail."""
    raw = b64url_decode(value)
    if raw is None or len(raw) != 65 or raw[0] != 4:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


def valid_auth(value: str) -> bool:
    raw = b64url_decode(value)
    return raw is not None and len(raw) == 16


def vapid_key(private_key: str) -> Vapid02:
    """The VAPID signer of `private_key`: PEM, or base64url of the raw 32-byte key or of its DER."""
    text = private_key.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        return Vapid02(key)
    return Vapid02.from_string(text)


def public_key(vapid: Vapid02) -> str:
    """The application server key a browser subscribes with: base64url of the uncompressed point."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
