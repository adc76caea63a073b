"""The portal's static files: the stylesheet, the script, the service worker and the icons.

Each is read once per process; its URL carries a fingerprint of its content (`?v=`), so a browser
may keep it for a year and a new release is fetched at once."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
LONG_CACHE = "public, max-age=31536000, immutable"
TYPES = {
    "portal.css": "text/css; charset=utf-8",
    "portal.js": "text/javascript; charset=utf-8",
    "journal.js": "text/javascript; charset=utf-8",  # the teacher journal's keyboard moves
    "journal.css": "text/css; charset=utf-8",
    "timetable.css": "text/css; charset=utf-8",  # the registrar's timetable grid and form
    "icon.svg": "image/svg+xml",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
}
PNG_SIZES = {"icon-192.png": 192, "icon-512.png": 512}
BRAND = (0x12, 0x35, 0x5F)  # the header's navy


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    version: str


@cache
def get(name: str) -> Asset | None:
    if name not in TYPES:
        return None
    body = _png(PNG_SIZES[name]) if name in PNG_SIZES else (STATIC / name).read_bytes()
    return Asset(body, TYPES[name], hashlib.sha256(body).hexdigest()[:12])


def url(base: str, name: str) -> str:
    asset = get(name)
    assert asset is not None, name
    return f"{base}/portal/static/{name}?v={asset.version}"


def _png(size: int) -> bytes:
    """The app icon for launchers that want PNG: a navy tile with a white mortarboard-like mark,
    drawn here rather than kept as a binary in the repository."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), BRAND)
    draw = ImageDraw.Draw(image)
    s = size / 192
    draw.polygon([(96 * s, 48 * s), (168 * s, 84 * s), (96 * s, 120 * s), (24 * s, 84 * s)], fill="white")
    draw.rectangle([(60 * s, 100 * s), (132 * s, 140 * s)], fill="white")
    draw.rectangle([(156 * s, 84 * s), (162 * s, 132 * s)], fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def service_worker(base: str) -> str:
    """The worker keeps only what is the same for everyone (style, script, icons, the offline
    page) and answers a page request it cannot fetch with the offline page; it never stores a
    page with personal data, nor answers one from a cache."""
    cached = [url(base, name) for name in TYPES]
    version = hashlib.sha256("".join(cached).encode()).hexdigest()[:12]
    template = (STATIC / "sw.js").read_text(encoding="utf-8")
    return (
        template.replace("__VERSION__", version)
        .replace("__ASSETS__", ", ".join(f'"{u}"' for u in cached))
        .replace("__OFFLINE__", f"{base}/portal/offline")
    )
