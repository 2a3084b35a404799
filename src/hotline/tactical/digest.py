"""Digests of stored track history, for the audit log (pure).

Contract: a report's canonical line is its fields joined by tabs — party, aircraft, time in
epoch microseconds, lat, lon, alt_m, alt_ref, gs_mps, trk_deg, vs_mps (floats as Python's
shortest round-trip ``repr``, which IEEE doubles in both databases keep exactly), callsign,
source — and a newline. A batch digest is the SHA-256 (hex) of its reports' lines in batch
order; a history digest is the SHA-256 (hex) of the batch digests' hex text, each followed by
a newline, in batch order. Anyone holding the stored rows recomputes both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from hotline.domain.time import to_micros
from hotline.domain.tracks import TrackReport


def report_line(r: TrackReport) -> bytes:
    return (f"{r.party}\t{r.aircraft}\t{to_micros(r.time)}\t{r.lat_deg!r}\t{r.lon_deg!r}\t"
            f"{r.alt_m!r}\t{r.alt_ref.value}\t{r.gs_mps!r}\t{r.trk_deg!r}\t{r.vs_mps!r}\t"
            f"{r.callsign}\t{r.source}\n").encode()


def batch_digest(reports: Iterable[TrackReport]) -> str:
    h = hashlib.sha256()
    for r in reports:
        h.update(report_line(r))
    return h.hexdigest()


def history_digest(batch_digests: Iterable[str]) -> str:
    h = hashlib.sha256()
    for d in batch_digests:
        h.update(f"{d}\n".encode())
    return h.hexdigest()
