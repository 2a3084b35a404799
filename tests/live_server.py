"""Real servers for tests that need sockets: a uvicorn server on a free 127.0.0.1 port in a
thread (:func:`serve`), or ``hotline serve`` as a subprocess (:class:`ServeProcess`)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from hotline.adapters.threaded_server import ThreadedServer

SRC = str(Path(__file__).resolve().parents[1] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve the ASGI ``app`` until the block ends; yields its base URL."""
    port = free_port()
    server = ThreadedServer(uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
        timeout_graceful_shutdown=2))
    server.start(timeout_s=10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop(timeout_s=10)
        assert not server.join(0), "uvicorn did not stop"


class ServeProcess:
    """``hotline serve`` as a subprocess on a fixed free port (so that it can be killed and
    started again at the same address), logging to ``<data_dir>/serve.log``."""

    def __init__(self, data_dir: Path, db: str, *, args: Sequence[str] = (),
                 env: Mapping[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [sys.executable, "-m", "hotline.cli.main", "serve", "--host", "127.0.0.1",
                    "--port", str(self.port), "--data-dir", str(data_dir), "--db", db, *args]
        self.env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get(
            "PYTHONPATH", ""), "HOTLINE_ESCALATION_POLL_S": "3600", **(env or {})}
        self.log = (data_dir / "serve.log").open("ab")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60) -> None:
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "hotline serve exited; see serve.log"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"hotline serve did not come up within {timeout_s:g} s")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self, *, graceful: bool = False) -> None:
        """End the server (SIGINT first when ``graceful``, else SIGKILL) and close the log."""
        if self.proc is not None and self.proc.poll() is None:
            if graceful:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.kill()
            else:
                self.kill()
        self.log.close()
