"""A uvicorn server in a thread of its own, with its own event loop.

Contract: ``ThreadedServer(config).start(timeout_s)`` runs the server in a daemon thread and
returns once it accepts connections; if it does not within ``timeout_s`` (or its thread ends
first) it is stopped and :class:`RuntimeError` is raised. It installs no signal handlers
(uvicorn does so only from the main thread), so they stay the process's. ``join(timeout_s)``
waits up to that long for the server to end and says whether it still runs; ``stop()`` asks it
to end and waits for it.
"""

from __future__ import annotations

import threading
import time

import uvicorn


class ThreadedServer:
    def __init__(self, config: uvicorn.Config, name: str = "hotline-server") -> None:
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    def start(self, timeout_s: float = 20.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started and self._thread.is_alive() \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            self.stop()
            raise RuntimeError("the server did not start")

    def join(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the server to end; whether it still runs."""
        self._thread.join(timeout_s)
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.ident is not None:
            self._thread.join(timeout_s)
