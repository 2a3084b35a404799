"""Which worker process of a server is the primary (``hotline serve --workers N``).

Contract: the workers of one server share a directory (in the data dir, see
:mod:`hotline.adapters.workers_dir`). :class:`Election` holds an exclusive ``flock`` on its
``primary.lock`` for as long as its process is the
primary; the kernel releases it when the process ends, however it ends. ``start()`` tries once
and returns whether this process won; a loser keeps trying every ``retry_s`` seconds in a
daemon thread, and the one that next gets the lock runs ``on_elected`` — so when the primary
dies, another worker takes over within about ``retry_s``. ``primary`` turns true only once
``on_elected`` has returned. If it raises, ``on_resign`` undoes what it started, the lock is
released and the worker tries again later (``start()`` re-raises instead), so a failed
takeover never leaves the lock held by a worker that does not do the primary's work.
``stop()`` ends the trying and waits for a takeover in progress to finish; a worker that is
stopping never takes over. The lock itself is released when the process exits (or
:meth:`close`).

The primary runs what must run once per server: the webhook deliverer, the escalator, the
live track board with its digester and watcher, and :class:`InnerServer`, which serves the
same app on a Unix socket so that the other workers can relay live-track requests to it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotline.adapters.threaded_server import ThreadedServer

log = logging.getLogger(__name__)


class Election:
    def __init__(self, path: Path, on_elected: Callable[[], None],
                 on_resign: Callable[[], None] = lambda: None, retry_s: float = 0.5) -> None:
        """``path``: the lock file (a :class:`~hotline.adapters.workers_dir.WorkersDir`'s
        ``primary_lock``)."""
        self.path = path
        self._on_elected = on_elected
        self._on_resign = on_resign
        self._retry_s = retry_s
        self._guard = threading.Lock()  # a takeover, or stop(): one at a time
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.primary = False

    def start(self) -> bool:
        """Try to become the primary now; if another process is, keep trying in the
        background. Returns whether this process is the primary now."""
        if self._try():
            with self._guard:
                self._elected()  # raises after resigning
            return True
        self._thread = threading.Thread(target=self._wait, name="hotline-election",
                                        daemon=True)
        self._thread.start()
        return False

    def _try(self) -> bool:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _wait(self) -> None:
        while not self._stop.wait(self._retry_s):
            with self._guard:
                if self._stop.is_set() or not self._try():
                    continue
                try:
                    self._elected()
                    return
                except Exception:
                    log.exception("taking over as the primary worker failed; will retry")

    def _elected(self) -> None:
        """Holding the lock: do the primary's work, or give the lock back and raise."""
        try:
            os.ftruncate(self._fd, 0)
            os.write(self._fd, f"{os.getpid()}\n".encode())
            self._on_elected()
        except BaseException:
            with contextlib.suppress(Exception):
                self._on_resign()
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            raise
        self.primary = True
        log.info("worker %d is the primary", os.getpid())

    def stop(self) -> None:
        self._stop.set()
        with self._guard:  # a takeover in progress finishes (or fails) first
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            os.close(self._fd)


class InnerServer:
    """The app served on a Unix socket by its own uvicorn server, in a thread with its own
    event loop (no signal handlers: they belong to the process's main server)."""

    def __init__(self, app: Any, path: Path) -> None:
        import uvicorn

        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self.path = path
        # Only processes that can reach the socket file (in the data dir) connect, so the
        # X-Forwarded-For of the relaying worker (the real client's address) is trusted.
        config = uvicorn.Config(app, uds=str(path), lifespan="off", log_config=None,
                                access_log=False, proxy_headers=True,
                                forwarded_allow_ips="*")
        self._server = ThreadedServer(config, name="hotline-inner-server")

    def start(self) -> None:
        try:
            self._server.start(timeout_s=10)
        except RuntimeError:
            raise RuntimeError(
                f"the primary's socket server did not start on {self.path}") from None
        with contextlib.suppress(FileNotFoundError):
            # only the server's own user may connect (the socket trusts X-Forwarded-For)
            os.chmod(self.path, 0o600)

    def stop(self) -> None:
        self._server.stop(timeout_s=5)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
