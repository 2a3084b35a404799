"""A background worker thread that the app's lifespan starts and stops.

Contract: ``start()`` is idempotent; ``stop()`` sets the stop event and joins the thread;
subclasses implement ``_run()`` and should wait on ``self._stop`` between rounds, so that
stopping is prompt.
"""

from __future__ import annotations

import threading


class Worker:
    name = "hotline-worker"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
