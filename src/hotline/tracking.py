"""Use cases of live tracks: ingest batches of reports, show tracks under need to know, digest
the stored history into the audit log.

Contract:

* :meth:`TrackDesk.ingest` takes reports already parsed for the caller's party (a report of
  another party is :class:`Forbidden` and nothing is stored). A report timed more than
  ``future_tolerance_s`` after the server clock is rejected (reason says by how much). The
  others are stored as one batch (one transaction, one ``executemany``; the batch's digest
  computed here) *before* the live board changes; then each becomes its aircraft's state
  (``accepted``) or is kept in history only (``out_of_order``: not newer than the aircraft's
  latest, or already stale). The answer counts each outcome and gives a reason for every
  report not accepted.
* :meth:`TrackDesk.visible`: a party sees all its own tracks; another party's track only if
  the pair of parties shares (``share_pairs``), or the track is in an encounter with one of
  the party's tracks (:meth:`set_involved`, fed by the live watcher), or it is within
  ``near_m`` of one of the party's tracks or of one of its zones active now. Each visible
  track says why (``own``, ``shared``, ``encounter``, ``near``, ``near_zone``).
* :meth:`TrackDesk.digest`: under the audit lock, the batches stored since the last digest
  are grouped by party; each party gets one ``tracks.digest`` audit record (its own, so it
  reads it in full) with the batch range, counts and the history digest of its batches
  (:mod:`hotline.tactical.digest`); a ``track_digests`` row per party remembers the range.
* Stale tracks age out of the board (``stale_after_s``); :meth:`TrackDesk.load` rebuilds the
  board from the stored history of the last ``stale_after_s`` when the service starts.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from hotline.domain.errors import Forbidden, InvalidInput, TooLarge
from hotline.domain.notice import Kind, Zone
from hotline.domain.time import format_rfc3339, to_micros
from hotline.domain.tracks import ParseResult, TrackReport
from hotline.domain.units import NM
from hotline.ports import AuditEntry, Clock, LockScope, Store, TrackDigestRow
from hotline.service import SYSTEM_OFFICER
from hotline.tactical.board import Key, Track, TrackBoard
from hotline.tactical.digest import batch_digest, history_digest
from hotline.tactical.zones import ZoneShape, distance_m, great_circle_m, zone_shapes


@dataclass(frozen=True, slots=True)
class TrackConfig:
    stale_after_s: float = 60.0
    trail_points: int = 120
    future_tolerance_s: float = 5.0
    near_m: float = 20 * NM
    share_pairs: frozenset[frozenset[str]] = frozenset()
    max_batch: int = 10_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """A report not accepted as state: where it was in the input, and why."""

    where: str
    aircraft: str
    status: str  # rejected | out_of_order
    reason: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    out_of_order: int
    rejected: int
    batch: int | None  # the stored batch's seq (None: nothing stored)
    outcomes: tuple[Outcome, ...]

    def json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted, "out_of_order": self.out_of_order,
            "rejected": self.rejected, "batch": self.batch,
            "results": [{"where": o.where, "id": o.aircraft, "status": o.status,
                         "reason": o.reason} for o in self.outcomes],
        }


@dataclass(frozen=True, slots=True)
class TrackView:
    track: Track
    why: str  # own | shared | encounter | near | near_zone


@dataclass(slots=True)
class _ZoneCache:
    shapes: dict[tuple[str, int], list[ZoneShape]] = field(default_factory=dict)

    def of(self, zone: Zone) -> list[ZoneShape]:
        key = (zone.id, zone.version)
        found = self.shapes.get(key)
        if found is None:
            if len(self.shapes) > 10_000:
                self.shapes.clear()
            found = self.shapes[key] = zone_shapes(zone)
        return found


class TrackDesk:
    def __init__(self, store: Store, clock: Clock, config: TrackConfig | None = None) -> None:
        self.store = store
        self.clock = clock
        self.config = config or TrackConfig()
        self.board = TrackBoard(self.config.stale_after_s, self.config.trail_points)
        #: Set after each stored batch: the live watcher waits on it.
        self.changed = threading.Event()
        self._involved: dict[Key, frozenset[Key]] = {}
        self._zones = _ZoneCache()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ ingest
    def ingest(self, party: str, officer: str, parsed: ParseResult) -> IngestResult:
        reports = parsed.reports
        if len(reports) + len(parsed.rejections) > self.config.max_batch:
            raise TooLarge(f"{len(reports) + len(parsed.rejections)} reports in one batch",
                           hint=f"send at most {self.config.max_batch} per request")
        foreign = sorted({r.party for r in reports if r.party != party})
        if foreign:
            raise Forbidden(f"this feed reports for party {party!r}, not {', '.join(foreign)}",
                            hint="a feed may report only its own party's aircraft; use that "
                            "party's token")
        outcomes = [Outcome(x.where, x.aircraft, "rejected", x.reason)
                    for x in parsed.rejections]
        now = self.clock.now()
        limit = now + timedelta(seconds=self.config.future_tolerance_s)
        kept: list[TrackReport] = []
        kept_where: list[str] = []
        for r, where in zip(reports, parsed.origins, strict=True):
            if r.time > limit:
                ahead = (r.time - now).total_seconds()
                outcomes.append(Outcome(where, r.aircraft, "rejected", (
                    f"time {format_rfc3339(r.time)} is {ahead:.1f} s ahead of the server "
                    f"clock (tolerance {self.config.future_tolerance_s:g} s); check the "
                    "feed's clock")))
            else:
                kept.append(r)
                kept_where.append(where)
        batch = None
        if kept:
            digest = batch_digest(kept)
            with self.store.write(LockScope()) as tx:
                batch = tx.add_track_batch(party, officer, now, kept, digest)
            applied = self.board.apply(kept, now)
            for i in applied.out_of_order:
                r = kept[i]
                outcomes.append(Outcome(kept_where[i], r.aircraft, "out_of_order", (
                    f"time {format_rfc3339(r.time)} is not newer than the aircraft's latest "
                    "report, or already stale: kept in history, not used as its state")))
            self.changed.set()
            accepted = len(applied.accepted)
        else:
            accepted = 0
        late = sum(1 for o in outcomes if o.status == "out_of_order")
        return IngestResult(accepted, late, len(outcomes) - late, batch, tuple(outcomes))

    def load(self) -> int:
        """Rebuild the board from the last ``stale_after_s`` of stored history."""
        now = self.clock.now()
        with self.store.read() as tx:
            history = tx.track_reports(since=now - self.board.stale_after)
        return self.board.load(history, now)

    # ------------------------------------------------------------------ need to know
    def set_involved(self, pairs: Iterable[tuple[Key, Key]]) -> None:
        """The current encounters (pairs of tracks), as the live watcher last found them."""
        involved: dict[Key, set[Key]] = defaultdict(set)
        for a, b in pairs:
            involved[a].add(b)
            involved[b].add(a)
        with self._lock:
            self._involved = {k: frozenset(v) for k, v in involved.items()}

    def _shared(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.config.share_pairs

    def own_zones(self, party: str, now: datetime) -> list[ZoneShape]:
        with self.store.read() as tx:
            found = tx.browse(Kind.ZONE, owner=party, window_us=(to_micros(now),
                                                                to_micros(now) + 1),
                              limit=1000)
        return [s for z in found if isinstance(z, Zone) for s in self._zones.of(z)]

    def visible(self, party: str, *, trail: bool = False,
                only: str | None = None) -> tuple[datetime, list[TrackView]]:
        """The tracks ``party`` may see now, ordered by (party, aircraft)."""
        now = self.clock.now()
        tracks = self.board.tracks(now, trail=trail)
        if only is not None:
            tracks = [t for t in tracks if t.latest.party == only]
        mine = [t for t in tracks if t.latest.party == party]
        with self._lock:
            involved = self._involved
        my_keys = {t.key for t in mine}
        out: list[TrackView] = []
        pending: list[Track] = []
        for t in tracks:
            if t.latest.party == party:
                out.append(TrackView(t, "own"))
            elif self._shared(party, t.latest.party):
                out.append(TrackView(t, "shared"))
            elif involved.get(t.key, frozenset()) & my_keys:
                out.append(TrackView(t, "encounter"))
            else:
                pending.append(t)
        if pending:
            out.extend(self._near(party, mine, pending, now))
        out.sort(key=lambda v: v.track.key)
        return now, out

    def _near(self, party: str, mine: Sequence[Track], others: Sequence[Track],
              now: datetime) -> list[TrackView]:
        near_m = self.config.near_m
        lat = np.array([t.latest.lat_deg for t in others])
        lon = np.array([t.latest.lon_deg for t in others])
        close = np.zeros(len(others), dtype=bool)
        for chunk in range(0, len(mine), 256):
            part = mine[chunk:chunk + 256]
            mlat = np.array([t.latest.lat_deg for t in part])
            mlon = np.array([t.latest.lon_deg for t in part])
            d = great_circle_m(lat[:, None], lon[:, None], mlat[None, :], mlon[None, :])
            close |= (d <= near_m).any(axis=1)
        out = [TrackView(t, "near") for t, c in zip(others, close, strict=True) if c]
        rest = np.flatnonzero(~close)
        if rest.size:
            by_zone = np.zeros(rest.size, dtype=bool)
            for shape in self.own_zones(party, now):
                by_zone |= distance_m(shape, lat[rest], lon[rest], reach_m=near_m) <= near_m
            out.extend(TrackView(others[int(i)], "near_zone") for i in rest[by_zone])
        return out

    # ------------------------------------------------------------------ audit digest
    def digest(self) -> list[TrackDigestRow]:
        """Digest the batches stored since the last digest (one audit record per party)."""
        now = self.clock.now()
        made: list[TrackDigestRow] = []
        with self.store.write(LockScope()) as tx:
            tx.lock_audit()
            last = tx.last_track_digest()
            batches = tx.track_batches(after=0 if last is None else last.to_batch)
            if not batches:
                return []
            to_batch = batches[-1].seq
            by_party: dict[str, list[Any]] = defaultdict(list)
            for b in batches:
                by_party[b.party].append(b)
            for party, mine in sorted(by_party.items()):
                digest = history_digest(b.digest for b in mine)
                reports = sum(b.reports for b in mine)
                seq = tx.append_audit(AuditEntry(now, party, SYSTEM_OFFICER, "tracks.digest",
                                                 None, {"tracks": {
                    "from_batch": mine[0].seq, "to_batch": mine[-1].seq,
                    "batches": len(mine), "reports": reports, "digest": digest}}))
                row = TrackDigestRow(mine[0].seq, to_batch, reports, now, digest, seq)
                tx.add_track_digest(party, row)
                made.append(row)
        return made


def check_trail(value: int) -> int:
    if not 0 <= value <= 1000:
        raise InvalidInput(f"trail {value} is out of range", hint="use 0..1000 points")
    return value
