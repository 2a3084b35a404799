"""Protocols the service needs from the outside world: a clock and a store.

Contract: the service gets time only from :class:`Clock` (timezone-aware UTC) and persists only
through :class:`Store`. A write transaction holds the lock its :class:`LockScope` names from the
conflict check to the commit, so two overlapping writers are serialised and the second sees the
first. Index columns are integers (signed S2 cell ids, epoch microseconds) and metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hotline.domain.notice import Conflict, Declaration, Kind, Ref
from hotline.strategic.cells import CellQuery


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@dataclass(frozen=True, slots=True)
class LockScope:
    """What a write locks: coarse cell keys, or everything when ``everything`` is set."""

    keys: tuple[int, ...] = ()
    everything: bool = False


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One covering cell of one volume, with the volume's time and W84 altitude envelope."""

    volume: int
    cell: int
    t_start_us: int
    t_end_us: int
    alt_lo_m: float
    alt_hi_m: float


@dataclass(frozen=True, slots=True)
class SpaceTimeQuery:
    """Find declarations with a volume meeting this cell query, window and band."""

    cells: CellQuery
    t_start_us: int
    t_end_us: int
    alt_lo_m: float
    alt_hi_m: float


class StoreTx(Protocol):
    def get(self, kind: Kind, id: str) -> Declaration | None: ...

    def candidates(
        self, query: SpaceTimeQuery, kinds: Sequence[Kind], exclude_owner: str | None
    ) -> list[Declaration]:
        """Declarations (distinct) with any index row matching ``query``: a superset of the
        ones that conflict, never missing one."""
        ...

    def put(self, d: Declaration, index: Sequence[IndexRow]) -> None: ...

    def delete(self, kind: Kind, id: str) -> None: ...

    def replace_conflicts(self, subject: Ref, conflicts: Sequence[Conflict]) -> None:
        """Forget every conflict involving ``subject`` (either side), then record these
        (each in both directions)."""
        ...

    def conflicts_of(self, kind: Kind, id: str) -> list[Conflict]: ...

    def browse(
        self,
        kind: Kind,
        *,
        owner: str | None = None,
        query: SpaceTimeQuery | None = None,
        window_us: tuple[int, int] | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Declaration]:
        """Declarations of ``kind`` ordered by id, after ``after``, optionally filtered by
        owner, by a space-time query, or by a window their overall window overlaps."""
        ...


class Store(Protocol):
    engine: str

    def write(self, lock: LockScope) -> AbstractContextManager[StoreTx]:
        """A write transaction holding ``lock``; commits on normal exit (durably: the commit
        returns after the write is on disk), rolls back on an exception."""
        ...

    def read(self) -> AbstractContextManager[StoreTx]:
        """A consistent read-only snapshot."""
        ...

    def close(self) -> None: ...
