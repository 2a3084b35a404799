"""The portable SQL of track history, mixed into ``SqlTx``.

Contract: :meth:`TrackRows.add_track_batch` takes the audit lock (so batch seqs are gap-free
from 1, in commit order, like audit seqs), inserts the batch row and its reports with one
``executemany`` (the hot path). Reports come back as :class:`TrackReport` exactly as stored
(doubles round-trip). Digest rows record which batches each audit digest covered.
:meth:`TrackRows.update_alert` rewrites a live alert's kind, severity and body (its level
changed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hotline.adapters.storage.sql_relay import stamp
from hotline.adapters.storage.sql_rows import Row, RowsMixin
from hotline.domain.altitude import AltitudeReference
from hotline.domain.time import from_micros, parse_rfc3339, to_micros
from hotline.domain.tracks import TrackReport
from hotline.ports import TrackBatch, TrackDigestRow
from hotline.relay.alerts import AlertKind, Severity

_COLUMNS = ("party, aircraft, t_us, lat_deg, lon_deg, alt_m, alt_ref, gs_mps, trk_deg, vs_mps, "
            "callsign, source")


def _report(row: Row) -> TrackReport:
    party, aircraft, t_us, lat, lon, alt, ref, gs, trk, vs, callsign, source = row
    return TrackReport(party, aircraft, from_micros(int(t_us)), float(lat), float(lon),
                       float(alt), AltitudeReference(ref), float(gs), float(trk), float(vs),
                       callsign, source)


class TrackRows(RowsMixin):
    """Needs the host transaction's ``_all``, ``_run``, ``_many`` and ``lock_audit``."""

    def add_track_batch(self, party: str, officer: str, received_at: datetime,
                        reports: Sequence[TrackReport], digest: str) -> int:
        self.lock_audit()
        seq = int(self._all("SELECT COALESCE(MAX(seq), 0) FROM track_batches")[0][0]) + 1
        self._run("INSERT INTO track_batches (seq, party, officer, received_at, reports, digest) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
                  (seq, party, officer, stamp(received_at), len(reports), digest))
        self._many(
            f"INSERT INTO track_reports (batch, idx, {_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(seq, i, r.party, r.aircraft, to_micros(r.time), r.lat_deg, r.lon_deg, r.alt_m,
              r.alt_ref.value, r.gs_mps, r.trk_deg, r.vs_mps, r.callsign, r.source)
             for i, r in enumerate(reports)],
        )
        return seq

    def track_reports(self, *, since: datetime, until: datetime | None = None,
                      party: str | None = None, aircraft: str | None = None,
                      limit: int = 100_000) -> list[TrackReport]:
        conds: list[str] = ["t_us >= ?"]
        params: list[Any] = [to_micros(since)]
        if until is not None:
            conds.append("t_us < ?")
            params.append(to_micros(until))
        if party is not None:
            conds.append("party = ?")
            params.append(party)
        if aircraft is not None:
            conds.append("aircraft = ?")
            params.append(aircraft)
        rows = self._all(f"SELECT {_COLUMNS} FROM track_reports WHERE {' AND '.join(conds)} "
                         "ORDER BY t_us, batch, idx LIMIT ?", [*params, limit])
        return [_report(r) for r in rows]

    def batch_reports(self, seq: int) -> list[TrackReport]:
        rows = self._all(f"SELECT {_COLUMNS} FROM track_reports WHERE batch = ? ORDER BY idx",
                         (seq,))
        return [_report(r) for r in rows]

    def track_batches(self, after: int, limit: int = 10_000) -> list[TrackBatch]:
        rows = self._all("SELECT seq, party, officer, received_at, reports, digest "
                         "FROM track_batches WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        return [TrackBatch(int(s), p, o, parse_rfc3339(at), int(n), d)
                for s, p, o, at, n, d in rows]

    def last_track_digest(self) -> TrackDigestRow | None:
        rows = self._all("SELECT to_batch, from_batch, reports, created_at, digest, audit_seq "
                         "FROM track_digests ORDER BY to_batch DESC LIMIT 1")
        if not rows:
            return None
        t, f, n, at, d, a = rows[0]
        return TrackDigestRow(int(f), int(t), int(n), parse_rfc3339(at), d, int(a))

    def update_alert(self, id: str, kind: AlertKind, severity: Severity,
                     body: Mapping[str, Any]) -> None:
        self._run("UPDATE alerts SET kind = ?, severity = ?, body = ? WHERE id = ?",
                  (kind.value, severity.value, json.dumps(body, separators=(",", ":")), id))

    def add_track_digest(self, party: str, row: TrackDigestRow) -> None:
        self._run("INSERT INTO track_digests (to_batch, party, from_batch, reports, created_at, "
                  "digest, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (row.to_batch, party, row.from_batch, row.reports, stamp(row.created_at),
                   row.digest, row.audit_seq))
