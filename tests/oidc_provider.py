"""Start the real OpenID provider (infra/oidc-provider, npm `oidc-provider`) on 127.0.0.1.

The suite and bench/sso_login.py use it; nothing in the token path is mocked. It installs
what it needs: Node.js from Debian when `node` is missing (as root), then the npm packages
pinned by package-lock.json.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urljoin

import httpx

from hemis.config import REPO_ROOT

PROVIDER_DIR = REPO_ROOT / "infra" / "oidc-provider"


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ensure_npm_packages(directory: Path, package: str) -> None:
    """Node.js (from Debian, as root, when missing) and the npm packages `directory`'s
    package-lock.json pins, unless `package` is already installed there."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.geteuid() != 0:
            raise RuntimeError("these tests need Node.js: apt-get install nodejs npm")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "nodejs", "npm"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    if not (directory / "node_modules" / package).is_dir():
        # Several test workers may get here at once: one installs, the others wait for it.
        lock = directory / ".install.lock"
        with lock.open("w") as handle:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
            if not (directory / "node_modules" / package).is_dir():
                subprocess.run(
                    ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=directory,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )


def ensure_installed() -> None:
    ensure_npm_packages(PROVIDER_DIR, "oidc-provider")


@dataclass
class DevProvider:
    """One provider process; `issuer` is its base URL (and discovery lives under it)."""

    clients: list[Client]
    code_ttl: int = 60
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self, timeout: float = 30) -> DevProvider:
        ensure_installed()
        env = {
            **os.environ,
            "PORT": str(self.port),
            "CLIENTS": json.dumps([c.__dict__ for c in self.clients]),
            "CODE_TTL": str(self.code_ttl),
        }
        self.log = Path(f"/tmp/hemis-oidc-provider-{self.port}.log").open("wb")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            ["node", "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited: {self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the OpenID provider did not start: {self.tail()}")

    def tail(self) -> str:
        return Path(f"/tmp/hemis-oidc-provider-{self.port}.log").read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log is not None:
            self.log.close()

    async def sign_in(self, authorization_url: str, sub: str, **claims: str) -> str:
        """Play the person at the provider: follow the authorization request, sign in as `sub`
        with `claims`, consent, and return where the provider sends the browser back (the
        relying party's callback URL with code and state), without following it."""
        async with httpx.AsyncClient(timeout=10) as browser:
            response = await browser.get(authorization_url)
            interaction = urljoin(authorization_url, response.headers.get("location", ""))
            if response.status_code not in (302, 303) or not interaction.startswith(
                f"{self.issuer}/interaction/"
            ):
                # Refused: an error page, or the error sent back to a (registered) redirect URI.
                raise ProviderRefused(response.status_code, response.headers.get("location") or response.text)
            response = await browser.get(f"{interaction}/login", params={"sub": sub, **claims})
            resume = urljoin(interaction, response.headers["location"])
            response = await browser.get(resume)
            if response.status_code not in (302, 303):
                raise ProviderRefused(response.status_code, response.text)
            return str(response.headers["location"])

    async def tamper_next_token(self, mode: str) -> None:
        async with httpx.AsyncClient() as http:
            (await http.post(f"{self.issuer}/__test/tamper", params={"mode": mode})).raise_for_status()


class ProviderRefused(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body[:300]}")
        self.status = status
        self.body = body
