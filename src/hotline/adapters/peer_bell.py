"""The event bell across the worker processes of one server (``hotline serve --workers N``).

Contract: every process of the server opens :class:`PeerBells` on the same prepared
:class:`~hotline.adapters.workers_dir.WorkersDir`. It binds a Unix datagram socket in its
``bells``, named after its pid, and a daemon thread turns each datagram it receives into a
ring of the process's own :class:`~hotline.adapters.bell.Bell`. :meth:`PeerBells.ring`
(hooked into the store's bell by :meth:`attach`, so it runs after every commit that appended
events) sends the parties to every *other* socket in the directory. A datagram carries party
names separated by newlines, at most :data:`MAX_DATAGRAM` bytes (more parties are sent in
several datagrams).

Delivery is best effort and never blocks a writer: the sockets are non-blocking, a full or
vanished peer is skipped, and a socket whose process is gone (connection refused) is removed.
That is safe because the bell only shortens waits: event streams still poll the database, the
source of truth, every few seconds or less. Peers are listed anew at most every
:data:`RESCAN_S` seconds and at once after a send fails, so a worker that starts later is rung
within that time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator

from hotline.adapters.bell import Bell
from hotline.adapters.workers_dir import WorkersDir

log = logging.getLogger(__name__)

#: Largest datagram sent (well under Linux's default limit for Unix datagram sockets).
MAX_DATAGRAM = 8192
#: How long a list of peers is trusted before the directory is read again (seconds).
RESCAN_S = 1.0


class PeerBells:
    """This process's end of the cross-process bell (see the module contract)."""

    def __init__(self, workers: WorkersDir, bell: Bell) -> None:
        """``workers``: the server's prepared :class:`WorkersDir` (its ``bells``)."""
        self.directory = workers.bells
        self.bell = bell
        self.path = workers.bell(os.getpid())
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a previous process with the same pid died without cleaning up
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(self.path))
        os.chmod(self.path, 0o600)  # only the server's own user may ring it
        self._sock.settimeout(1.0)  # so that the listener notices close() in any case
        self._out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._out.setblocking(False)
        self._peers: list[str] = []
        self._scanned = 0.0
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._listen, name="hotline-peer-bell",
                                        daemon=True)
        self._thread.start()

    def attach(self) -> None:
        """Ring the peers whenever the local bell rings for a commit of this process."""
        self.bell.add_hook(self.ring)

    # ------------------------------------------------------------------ sending
    def ring(self, parties: Iterable[str]) -> None:
        """Tell every other process of the server that events for ``parties`` committed."""
        if self._closed:
            return
        datagrams = list(_datagrams(parties))
        if not datagrams:
            return
        with self._lock:
            peers = self._current_peers()
            stale = False
            for peer in peers:
                for data in datagrams:
                    try:
                        self._out.sendto(data, peer)
                    except (ConnectionRefusedError, FileNotFoundError):
                        self._forget(peer)
                        stale = True
                        break
                    except (BlockingIOError, OSError):  # full queue: the poll covers it
                        break
            if stale:
                self._scanned = 0.0

    def _current_peers(self) -> list[str]:
        now = time.monotonic()
        if now - self._scanned >= RESCAN_S:
            mine = self.path.name
            try:
                names = os.listdir(self.directory)
            except FileNotFoundError:
                names = []
            self._peers = [str(self.directory / n) for n in names
                           if n.endswith(".sock") and n != mine]
            self._scanned = now
        return self._peers

    def _forget(self, peer: str) -> None:
        """Remove the socket of a process that is gone (nobody receives on it)."""
        with contextlib.suppress(OSError):
            os.unlink(peer)

    # ------------------------------------------------------------------ receiving
    def _listen(self) -> None:
        while not self._closed:
            try:
                data = self._sock.recv(MAX_DATAGRAM + 1)
            except TimeoutError:
                continue
            except OSError:
                if self._closed:
                    return
                log.exception("peer bell receive failed; listening on")
                time.sleep(0.1)
                continue
            if not data:
                continue
            parties = [p for p in data.decode("utf-8", "replace").split("\n") if p]
            try:
                self.bell.ring(parties, local_only=True)
            except Exception:  # keep listening whatever one ring did
                log.exception("peer bell ring failed")

    def close(self) -> None:
        self._closed = True
        self.bell.remove_hook(self.ring)
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._out.close()
        self._thread.join(timeout=2)


def _datagrams(parties: Iterable[str]) -> Iterator[bytes]:
    """The parties as newline-separated datagrams of at most MAX_DATAGRAM bytes."""
    chunk: list[bytes] = []
    size = 0
    for party in sorted(set(parties)):
        raw = party.encode()
        if size + len(raw) + 1 > MAX_DATAGRAM and chunk:
            yield b"\n".join(chunk)
            chunk, size = [], 0
        chunk.append(raw)
        size += len(raw) + 1
    if chunk:
        yield b"\n".join(chunk)
