"""The pure rules: which push endpoints the server may call, browsers' keys, VAPID keys, texts."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from hemis.config import PushSettings
from hemis.notifications import rules

DEFAULT = PushSettings().allowed_hosts


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
        "https://wns2-db5p.notify.windows.com/w/?token=BQYAAA",
        "https://web.push.apple.com/QGuQyavXutnMH",
    ],
)
def test_the_browsers_push_services_are_allowed_by_default(endpoint: str) -> None:
    assert rules.endpoint_allowed(endpoint, DEFAULT)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "https://fcm.googleapis.com.evil.example/x",
        "https://notify.windows.com.evil.example/x",
        "https://evilnotify.windows.com/x",  # "*.notify.windows.com" means a subdomain
        "https://notify.windows.com/x",  # … not the bare domain
        "https://user@fcm.googleapis.com/x",
        "https://127.0.0.1/x",
        "https://fcm.googleapis.com:99999/x",
        "not a url",
    ],
)
def test_anything_else_is_refused(endpoint: str) -> None:
    assert not rules.endpoint_allowed(endpoint, DEFAULT)


def test_http_only_on_a_listed_loopback_host() -> None:
    assert rules.endpoint_allowed("http://127.0.0.1:8123/push/1", ["127.0.0.1"])
    assert not rules.endpoint_allowed("http://10.0.0.5/push/1", ["10.0.0.5"])
    assert not rules.endpoint_allowed("http://127.0.0.1:8123/push/1", DEFAULT)


def test_browser_keys() -> None:
    real = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = real.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    point = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert rules.valid_p256dh(point)
    assert not rules.valid_p256dh(point[:-2])
    # The right shape, not on the curve: encryption to it would fail at every push.
    off_curve = base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).rstrip(b"=").decode()
    assert not rules.valid_p256dh(off_curve)
    assert not rules.valid_p256dh("!" * 87)
    assert rules.valid_auth(base64.urlsafe_b64encode(bytes(16)).rstrip(b"=").decode())
    assert not rules.valid_auth(base64.urlsafe_b64encode(bytes(15)).decode())


def test_vapid_key_from_pem_or_raw_base64url() -> None:
    key = Vapid02()
    key.generate_keys()
    raw = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    from_raw = rules.vapid_key(base64.urlsafe_b64encode(raw).rstrip(b"=").decode())
    from_pem = rules.vapid_key(key.private_pem().decode())
    assert rules.public_key(from_raw) == rules.public_key(from_pem) == rules.public_key(key)
    assert len(base64.urlsafe_b64decode(rules.public_key(key) + "=")) == 65


def test_texts_name_the_control_and_fall_back_to_uzbek() -> None:
    params = {"subject": "Fizika", "control": "YN", "points": "41.00", "max_points": "50.00"}
    assert rules.texts("notification.mark", params, "oz") == (
        "Янги баҳо",
        "Fizika, якуний назорат: 41.00 / 50.00 балл.",
    )
    assert rules.texts("notification.mark", params, "en")[1] == "Fizika, final exam: 41.00 of 50.00 points."
