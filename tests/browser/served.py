"""What the browser tests share: a real ``hotline serve`` in its own process (SQLite, a free
port, its own data directory), tokens minted with its dev issuer key, Debian's chromium and
its flags, and screenshots saved under ``test-artifacts/`` (path printed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from hotline.adapters.storage.pgserver import free_port
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.settings import Settings

CHROMIUM = Path(os.environ.get("HOTLINE_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@dataclass
class Server:
    """``hotline serve`` on 127.0.0.1:port with its own data directory."""

    base: str
    data_dir: Path
    proc: subprocess.Popen[bytes]

    def token(self, party: str, *scopes: str, officer: str = "") -> str:
        settings = Settings(data_dir=self.data_dir)
        return mint(load_or_create_issuer_key(self.data_dir), party=party,
                    officer=officer or f"{party}-duty", scopes=list(scopes or ["duty"]),
                    issuer=settings.jwt_issuer, audience=settings.jwt_audience, ttl_s=3600)

    def client(self, party: str, *scopes: str) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30, headers={
            "Authorization": f"Bearer {self.token(party, *scopes)}"})


def start_server(data_dir: Path, **env: str) -> Server:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli.main", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--data-dir", str(data_dir), "--db", f"sqlite:///{data_dir / 'h.db'}"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"hotline serve exited: {err[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return Server(base, data_dir, proc)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("hotline serve did not answer /healthz within 30 s")


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(5)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path
