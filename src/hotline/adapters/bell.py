"""A bell that a committed write rings so that waiting event streams wake at once.

Contract: ``ring(parties)`` may be called from any thread (after a commit that appended
events for those parties) and wakes only the listeners of one of them. ``with
bell.listen(party) as ears`` registers a listener for as long as the block runs: a ring for
``party`` at any moment in it sets ``ears`` until ``ears.clear()``, so a stream that clears,
then reads the database, then ``await ears.wait(timeout)`` never misses a commit made during
its read (it is woken at once and reads again); ``wait`` returns True when rung, False on
timeout. ``await wait(party, timeout)`` is the one-shot form (rings before the call are not
seen). The bell only shortens waits: streams still poll the database (the source of truth)
on timeout. ``add_hook(fn)`` calls ``fn(parties)`` on every ring that is not ``local_only``:
that is how :class:`~hotline.adapters.peer_bell.PeerBells` passes this process's commits on
to the other worker processes of a server (and rings it receives from them are local only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator

log = logging.getLogger(__name__)


class Listener:
    """One stream's registration with the bell (see :meth:`Bell.listen`)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def set(self) -> None:
        """Called by the bell, thread-safely."""
        with contextlib.suppress(RuntimeError):  # that loop closed: its listener is gone
            self.loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
            return True
        except TimeoutError:
            return False


class Bell:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[Listener]] = {}
        self._hooks: tuple[Callable[[set[str]], None], ...] = ()

    def ring(self, parties: Iterable[str], *, local_only: bool = False) -> None:
        wanted = set(parties)
        with self._lock:
            listeners = [x for p in wanted for x in self._listeners.get(p, ())]
        for listener in listeners:
            listener.set()
        if not local_only:
            for hook in self._hooks:
                try:
                    hook(wanted)
                except Exception:  # rung after a commit: never fail the committed write
                    log.exception("bell hook failed")

    def add_hook(self, hook: Callable[[set[str]], None]) -> None:
        with self._lock:
            self._hooks = (*self._hooks, hook)

    def remove_hook(self, hook: Callable[[set[str]], None]) -> None:
        with self._lock:
            self._hooks = tuple(h for h in self._hooks if h != hook)

    @contextlib.contextmanager
    def listen(self, party: str) -> Iterator[Listener]:
        """Listen for rings for ``party`` while the block runs (in the event loop)."""
        listener = Listener()
        with self._lock:
            self._listeners.setdefault(party, set()).add(listener)
        try:
            yield listener
        finally:
            with self._lock:
                mine = self._listeners.get(party)
                if mine is not None:
                    mine.discard(listener)
                    if not mine:
                        del self._listeners[party]

    async def wait(self, party: str, timeout: float) -> bool:
        with self.listen(party) as ears:
            return await ears.wait(timeout)
