"""A bell that a committed write rings so that waiting event streams wake at once.

Contract: ``ring(parties)`` may be called from any thread (after a commit that appended
events for those parties) and wakes only the streams waiting for one of them;
``await wait(party, timeout)`` returns True when rung for ``party`` during the wait, False on
timeout. It only shortens waits in *this* process: streams still poll the database (the
source of truth) on timeout, which covers writes made by other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable


class Bell:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def ring(self, parties: Iterable[str]) -> None:
        with self._lock:
            waiters = [w for p in set(parties) for w in self._waiters.get(p, ())]
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop closed: its waiter is gone
                loop.call_soon_threadsafe(event.set)

    async def wait(self, party: str, timeout: float) -> bool:
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(party, set()).add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                mine = self._waiters.get(party)
                if mine is not None:
                    mine.discard(waiter)
                    if not mine:
                        del self._waiters[party]
