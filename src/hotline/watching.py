"""Live detection feeding the relay: encounter, zone-approach and incursion alerts, deduplicated.

Contract: :meth:`TrackWatch.run_once` reads the live board and the zones active within the
lookahead, runs :mod:`hotline.tactical.live`, tells the track desk which tracks are in
encounters (need to know), and turns what it found into alerts through the relay's store:

* one alert per addressee and *situation*, with a deterministic id
  (:func:`hotline.relay.alerts.alert_id` over the addressee, the kind and the pair): an
  ``encounter`` of tracks A and B goes to A's party (subject A, other B) and to B's; a
  ``zone_approach``/``incursion`` of track T into zone Z goes to T's party (subject T) and to
  Z's owner (subject Z). Re-finding the same situation every round writes nothing;
* a situation's alert is created (``alert.create`` audit record, an event to the addressee)
  the first time, and updated (``alert.update``: new severity and body, an event) only when its
  level changes (the well-clear alerter's filtered level: 1 preventive, 2 corrective,
  3 warning; see :mod:`hotline.tactical.live`). If the level *rises* on an alert already
  acknowledged, the acknowledgment was for a lesser danger: the alert is re-armed
  (``alert.rearm``: acknowledgment, escalation and delivery cleared, a new ack deadline by its
  severity), so the addressee must acknowledge again. A zone approach and an incursion into the same
  zone are two situations (an incursion is a new alert needing its own acknowledgment; the
  approach then closes). An incursion or a level-3 encounter is ``urgent``, the rest
  ``warning``; the ack deadline is set at creation by severity;
* a situation no longer found for ``clear_after_s`` is closed (``resolved``, ``alert.close``
  record, an event); found again later, the same alert is reopened (``alert.reopen``);
* every change of one round is one transaction (under the audit lock); rounds are serialised.

The alert body is plain JSON from the addressee's side: ``kind``, ``level``, ``subject`` and
``with`` refs (``track`` or ``zone``), ``window`` (``start``: predicted violation or entry
time), ``time_to_violation_s``/``time_to_entry_s``, CPA figures, and the positions.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.domain.notice import Kind, Ref, Zone
from hotline.domain.time import format_rfc3339, to_micros
from hotline.domain.tracks import TrackReport
from hotline.ports import AuditEntry, Clock, LockScope, Store, StoreTx
from hotline.relay.alerts import Alert, AlertKind, Severity, alert_id, alert_json
from hotline.relay.alerts import content_hash as alert_hash
from hotline.relay.escalation import AckPolicy
from hotline.service import SYSTEM_OFFICER
from hotline.tactical.board import Key
from hotline.tactical.live import Encounter, EncounterWatch, LiveOptions, ZoneEvent, zone_events
from hotline.tactical.zones import ZoneShape, zone_shapes
from hotline.tracking import TrackDesk


@dataclass(frozen=True, slots=True)
class Situation:
    """One alert as the current round wants it: id, addressee, kind, level, refs, body."""

    id: str
    party: str
    kind: AlertKind
    level: int
    severity: Severity
    subject: Ref
    other: Ref
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RoundResult:
    encounters: int
    zone_events: int
    created: int
    updated: int
    closed: int


def _t(now: datetime, seconds: float) -> str | None:
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return format_rfc3339(now + timedelta(seconds=seconds))


def _pos(r: TrackReport) -> dict[str, Any]:
    return {"time": format_rfc3339(r.time), "lat": r.lat_deg, "lon": r.lon_deg,
            "alt_m": r.alt_m, "alt_ref": r.alt_ref.value, "gs_mps": r.gs_mps,
            "trk_deg": r.trk_deg, "vs_mps": r.vs_mps, "callsign": r.callsign}


def _ref_json(r: Ref) -> dict[str, str]:
    return {"kind": r.kind.value, "id": r.id, "owner": r.owner}


def _finite(x: float) -> float | None:
    return x if x == x and abs(x) != float("inf") else None


class TrackWatch:
    def __init__(self, desk: TrackDesk, store: Store, clock: Clock,
                 options: LiveOptions | None = None, ack: AckPolicy | None = None,
                 clear_after_s: float = 5.0) -> None:
        self.desk = desk
        self.store = store
        self.clock = clock
        self.options = options or LiveOptions()
        self.ack = ack or AckPolicy()
        self.clear_after = timedelta(seconds=clear_after_s)
        self.encounter_watch = EncounterWatch(self.options)
        self._encounters: list[Encounter] = []
        self._shapes: dict[tuple[str, int], list[ZoneShape]] = {}
        self._open: dict[str, tuple[int, datetime]] = {}  # id -> (level, last seen)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ detection
    def _zones(self, now: datetime) -> list[ZoneShape]:
        start = to_micros(now)
        end = to_micros(now + timedelta(seconds=self.options.lookahead_s))
        found: list[Zone] = []
        after: str | None = None
        with self.store.read() as tx:
            while True:
                page = tx.browse(Kind.ZONE, window_us=(start, end), limit=1000, after=after)
                found.extend(z for z in page if isinstance(z, Zone))
                if len(page) < 1000:
                    break
                after = page[-1].id
        shapes: dict[tuple[str, int], list[ZoneShape]] = {}
        for z in found:
            key = (f"{z.owner}/{z.id}", z.version)
            shapes[key] = self._shapes.get(key) or zone_shapes(z)
        self._shapes = shapes
        return [s for group in shapes.values() for s in group]

    def situations(self, now: datetime) -> tuple[list[Situation], int, int]:
        tracks = self.desk.board.tracks(now, trail=False)
        latest = {t.key: t.latest for t in tracks}
        found = self.encounter_watch.step(tracks, now)
        if found is not None:  # None: no time has passed since the last round
            self._encounters = found
        encs = [e for e in self._encounters if e.a in latest and e.b in latest]
        zevs = zone_events(tracks, self._zones(now), now, self.options)
        self.desk.set_involved((e.a, e.b) for e in encs)
        out: list[Situation] = []
        for e in encs:
            out.extend(self._encounter(e, latest, now))
        for z in zevs:
            out.extend(self._zone(z, latest[z.track], now))
        return out, len(encs), len(zevs)

    def _encounter(self, e: Encounter, latest: Mapping[Key, TrackReport],
                   now: datetime) -> list[Situation]:
        severity = Severity.URGENT if e.level >= 3 else Severity.WARNING
        ttv = e.time_to_violation_s
        out = []
        for own, other in ((e.a, e.b), (e.b, e.a)):
            me = Ref(Kind.TRACK, own[1], own[0])
            them = Ref(Kind.TRACK, other[1], other[0])
            body = {
                "kind": AlertKind.ENCOUNTER.value, "level": e.level,
                "level_name": e.level_name, "raw_level": e.raw_level,
                "profile": self.options.profile.name,
                "subject": _ref_json(me), "with": _ref_json(them),
                "detected_at": format_rfc3339(now),
                "window": {"start": _t(now, 0.0 if ttv is None else ttv), "end": None},
                "time_to_violation_s": None if ttv is None else round(ttv, 3),
                "tcpa_s": _finite(round(e.tcpa_s, 3)), "dcpa_m": _finite(round(e.dcpa_m, 3)),
                "reason": e.reason,
                "own": _pos(latest[own]), "other": _pos(latest[other]),
            }
            out.append(Situation(alert_id(own[0], AlertKind.ENCOUNTER, me, them), own[0],
                                 AlertKind.ENCOUNTER, e.level, severity, me, them, body))
        return out

    def _zone(self, z: ZoneEvent, r: TrackReport, now: datetime) -> list[Situation]:
        kind = AlertKind.INCURSION if z.kind == "incursion" else AlertKind.ZONE_APPROACH
        level = 3 if kind is AlertKind.INCURSION else 1
        severity = Severity.URGENT if kind is AlertKind.INCURSION else Severity.WARNING
        track = Ref(Kind.TRACK, r.aircraft, r.party)
        zone = Ref(Kind.ZONE, z.zone.zone_id, z.zone.owner)
        out = []
        for me, them in ((track, zone), (zone, track)):
            body = {
                "kind": kind.value, "level": level,
                "subject": _ref_json(me), "with": _ref_json(them),
                "detected_at": format_rfc3339(now),
                "window": {"start": _t(now, z.time_to_entry_s),
                           "end": format_rfc3339(datetime.fromtimestamp(z.zone.end_s, UTC))},
                "time_to_entry_s": z.time_to_entry_s,
                "zone": {"id": z.zone.zone_id, "owner": z.zone.owner, "role": z.zone.role,
                         "name": z.zone.name, "volume": z.zone.volume,
                         "lower_m": z.zone.lower_m, "upper_m": z.zone.upper_m,
                         "reference": z.zone.reference.value},
                "track": {"party": r.party, "id": r.aircraft, **_pos(r)},
            }
            # approach and incursion are separate alerts: an incursion needs its own ack
            sid = alert_id(me.owner, kind, me, them)
            out.append(Situation(sid, me.owner, kind, level, severity, me, them, body))
        return out

    # ------------------------------------------------------------------ alerts
    def run_once(self) -> RoundResult:
        with self._lock:
            now = self.clock.now()
            wanted, n_enc, n_zone = self.situations(now)
            changed = [s for s in wanted if self._open.get(s.id, (None,))[0] != s.level]
            for s in wanted:
                if s.id in self._open:
                    self._open[s.id] = (self._open[s.id][0], now)
            gone = [i for i, (_, seen) in self._open.items()
                    if seen < now - self.clear_after and i not in {s.id for s in wanted}]
            if not changed and not gone:
                return RoundResult(n_enc, n_zone, 0, 0, 0)
            created = updated = 0
            with self.store.write(LockScope()) as tx:
                tx.lock_audit()
                for s in changed:
                    if self._write(tx, s, now):
                        created += 1
                    else:
                        updated += 1
                    self._open[s.id] = (s.level, now)
                for i in gone:
                    self._close(tx, i, now)
                    del self._open[i]
            return RoundResult(n_enc, n_zone, created, updated, len(gone))

    def _audit(self, tx: StoreTx, alert: Alert, action: str, now: datetime,
               **extra: Any) -> None:
        tx.append_audit(AuditEntry(now, alert.party, SYSTEM_OFFICER, action, None, {
            "alert": {"id": alert.id, "kind": alert.kind.value,
                      "severity": alert.severity.value,
                      "content_hash": alert_hash(alert.body)}, **extra}))
        tx.append_event(alert.party, "alert", alert.id, alert_json(alert), now)

    def _write(self, tx: StoreTx, s: Situation, now: datetime) -> bool:
        """Create or update the alert of ``s``; True if it was created."""
        existing = tx.get_alert(s.id)
        if existing is None:
            alert = Alert(s.id, s.party, s.kind, s.severity, s.subject, s.other, s.body, now,
                          deadline_at=self.ack.first_deadline(s.severity.value, now))
            tx.add_alerts([alert])
            self._audit(tx, alert, "alert.create", now, cause={"action": "tracks.watch"})
            return True
        before = existing.body.get("level")
        deadline = self.ack.first_deadline(s.severity.value, now)
        if existing.closed_at is not None:
            tx.reopen_alert(s.id, s.body, s.severity, deadline)
            action = "alert.reopen"
        elif isinstance(before, int) and s.level > before and tx.rearm_alert(
                s.id, s.body, s.severity, deadline):
            action = "alert.rearm"  # acknowledged at a lower level: acknowledge again
        else:
            action = "alert.update"
        tx.update_alert(s.id, s.kind, s.severity, s.body)
        fresh = tx.get_alert(s.id)
        alert = fresh if fresh is not None else existing
        self._audit(tx, alert, action, now, level=s.level)
        return False

    def _close(self, tx: StoreTx, id: str, now: datetime) -> None:
        if tx.close_alert(id, now, "resolved"):
            alert = tx.get_alert(id)
            if alert is not None:
                self._audit(tx, alert, "alert.close", now, reason="resolved")
