"""A small local Stripe for tests and benches (there is no internet): answers the two API calls
hemis makes (POST /v1/checkout/sessions, GET /v1/events) the way Stripe does, and builds events
signed as Stripe signs them (HMAC-SHA256 over "{t}.{payload}", header "t=…,v1=…")."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse


def signature_header(payload: str | bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe-Signature for `payload`, computed here (not by the library under test)."""
    t = int(time.time()) if timestamp is None else timestamp
    text = payload.decode() if isinstance(payload, bytes) else payload
    mac = hmac.new(secret.encode(), f"{t}.{text}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts (lists stay dicts by index)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, str], dict[str, Any]]] = []
        self._by_key: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._run = secrets.token_hex(3)  # ids unique across fakes sharing one database
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{next(fake._ids)}")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = _nest(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append(("POST", self.path, headers, form))
                if urlparse(self.path).path != "/v1/checkout/sessions":
                    self._answer(404, {"error": {"type": "invalid_request_error", "message": "no route"}})
                    return
                self._answer(200, fake.create_session(form, headers.get("idempotency-key")))

            def do_GET(self) -> None:
                url = urlparse(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                query = _nest(parse_qsl(url.query))
                fake.requests.append(("GET", url.path, headers, query))
                if url.path != "/v1/events":
                    self._answer(404, {"error": {"type": "invalid_request_error", "message": "no route"}})
                    return
                self._answer(200, fake.list_events(query))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # API

    def create_session(self, form: dict[str, Any], key: str | None) -> dict[str, Any]:
        with self._lock:
            if key and key in self._by_key:
                return self._by_key[key]
            n = next(self._ids)
            item = form["line_items"]["0"]
            session = {
                "id": f"cs_test_{self._run}{n:06d}",
                "object": "checkout.session",
                "mode": form.get("mode"),
                "url": f"https://checkout.stripe.test/c/pay/cs_test_{self._run}{n:06d}",
                "amount_total": int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)),
                "currency": item["price_data"]["currency"],
                "metadata": form.get("metadata", {}),
                "client_reference_id": form.get("client_reference_id"),
                "payment_status": "unpaid",
                "payment_intent": None,
                "status": "open",
                "success_url": form.get("success_url"),
            }
            self.sessions[session["id"]] = session
            if key:
                self._by_key[key] = session
            return session

    def list_events(self, query: dict[str, Any]) -> dict[str, Any]:
        gte = int((query.get("created") or {}).get("gte", 0))
        newest_first = sorted(self.events, key=lambda e: e["created"], reverse=True)
        found = [e for e in newest_first if e["created"] >= gte]
        if after := query.get("starting_after"):
            ids = [e["id"] for e in found]
            found = found[ids.index(after) + 1 :] if after in ids else []
        limit = int(query.get("limit", 10))
        return {"object": "list", "url": "/v1/events", "data": found[:limit], "has_more": len(found) > limit}

    # Events, as Stripe would send them about a session made here

    def event(self, event_type: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
        n = next(self._ids)
        event = {
            "id": f"evt_test_{self._run}{n:08d}",
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": created or int(time.time()),
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": obj},
        }
        self.events.append(event)
        return event

    def paid(self, session_id: str) -> dict[str, Any]:
        """checkout.session.completed for a session paid in full."""
        session = self.sessions[session_id]
        intent = f"pi_{session_id[3:]}"
        obj = session | {"payment_status": "paid", "status": "complete", "payment_intent": intent}
        return self.event("checkout.session.completed", obj)

    def refunded(self, session_id: str, amount_refunded: int | None = None) -> dict[str, Any]:
        """charge.refunded for the session's charge; `amount_refunded` is cumulative (default: all)."""
        session = self.sessions[session_id]
        total = session["amount_total"]
        charge = {
            "id": f"ch_{session_id[3:]}",
            "object": "charge",
            "amount": total,
            "amount_captured": total,
            "amount_refunded": total if amount_refunded is None else amount_refunded,
            "currency": session["currency"],
            "paid": True,
            "refunded": amount_refunded is None or amount_refunded >= total,
            "payment_intent": f"pi_{session_id[3:]}",
            "metadata": session["metadata"],
        }
        return self.event("charge.refunded", charge)
