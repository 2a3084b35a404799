"""The directory the worker processes of one server share (``hotline serve --workers N``).

Contract: ``WorkersDir.of(data_dir)`` names its parts: ``root`` (``<data dir>/workers``),
``bells`` (one datagram socket per worker, :mod:`hotline.adapters.peer_bell`),
``primary_lock`` and ``primary_socket`` (:mod:`hotline.adapters.primary`). ``check()`` raises
:class:`ValueError`, saying what to do, if a Unix socket in it could not have its path (the
longest: the bell of a worker with the largest pid Linux gives). ``prepare()`` checks, then
creates ``root`` and ``bells`` private to the server's user (0700, also when they existed
already): the primary's socket trusts ``X-Forwarded-For``, and only the server's own user may
ring its bells.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Longest path a Unix socket may have (Linux: 108 bytes with the terminating zero).
MAX_SOCKET_PATH = 107
#: The largest pid Linux can give (``pid_max`` is at most 2**22).
_MAX_PID = 2**22


@dataclass(frozen=True, slots=True)
class WorkersDir:
    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> WorkersDir:
        return cls(data_dir / "workers")

    @property
    def bells(self) -> Path:
        return self.root / "bells"

    def bell(self, pid: int) -> Path:
        """The bell socket of the worker with process id ``pid``."""
        return self.bells / f"{pid}.sock"

    @property
    def primary_lock(self) -> Path:
        return self.root / "primary.lock"

    @property
    def primary_socket(self) -> Path:
        return self.root / "primary.sock"

    def check(self) -> None:
        for path in (self.bell(_MAX_PID), self.primary_socket):
            if len(os.fsencode(path)) > MAX_SOCKET_PATH:
                raise ValueError(
                    f"{path} is too long for a Unix socket ({MAX_SOCKET_PATH} bytes at most): "
                    "with several workers, use a data dir with a shorter path "
                    "(HOTLINE_DATA_DIR)")

    def prepare(self) -> WorkersDir:
        self.check()
        for directory in (self.root, self.bells):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.chmod(0o700)
        return self
