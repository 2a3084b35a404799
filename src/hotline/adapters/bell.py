"""A bell that a committed write rings so that waiting event streams wake at once.

Contract: ``ring()`` may be called from any thread (after a commit that appended events);
``await wait(timeout)`` returns True when rung during the wait, False on timeout. It only
shortens the wait of streams in *this* process: readers still poll the database (the
source of truth) on timeout, which covers writes made by other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Bell:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def ring(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop closed: its waiter is gone
                loop.call_soon_threadsafe(event.set)

    async def wait(self, timeout: float) -> bool:
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.discard(waiter)
