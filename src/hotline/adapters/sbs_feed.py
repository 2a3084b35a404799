"""An SBS-1/BaseStation TCP feed client: connect to a port-30003 source, merge, post batches.

Contract: :class:`SbsFeed` connects to ``host:port`` (dump1090, readsb, a BaseStation or any
port-30003 server), reads lines, merges position and velocity per hex ident
(:class:`hotline.tactical.sbs.SbsMerger`, whose state survives batches and reconnections) and
hands full reports to ``post`` (a callable taking the JSON list of ``POST /v1/tracks``) every
``flush_s`` seconds or ``max_batch`` reports, whichever comes first. A malformed line is counted
and logged (at most ``log_every`` per flush, with its reason), never fatal. A lost connection is
retried after ``reconnect_s`` (doubling to 30 s); a failed post keeps its reports for the next
flush (at most ``max_pending``; beyond that the oldest are dropped and counted). Times: the
lines' own, read as UTC (``utc_offset_s`` for a receiver writing local time).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hotline.domain.time import format_rfc3339
from hotline.domain.tracks import TrackReport
from hotline.tactical.sbs import SbsMerger

log = logging.getLogger(__name__)
Post = Callable[[list[dict[str, Any]]], Any]


@dataclass(slots=True)
class FeedStats:
    lines: int = 0
    reports: int = 0
    rejected: int = 0
    ignored: int = 0
    posted: int = 0
    post_failures: int = 0
    dropped: int = 0
    connects: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def report_item(r: TrackReport) -> dict[str, Any]:
    """A report as one item of ``POST /v1/tracks`` (SI units)."""
    return {"id": r.aircraft, "time": format_rfc3339(r.time), "lat": r.lat_deg,
            "lon": r.lon_deg, "alt_m": r.alt_m, "alt_ref": r.alt_ref.value, "gs_mps": r.gs_mps,
            "trk_deg": r.trk_deg, "vs_mps": r.vs_mps, "callsign": r.callsign}


class SbsFeed:
    def __init__(self, host: str, port: int, party: str, post: Post, *, flush_s: float = 1.0,
                 max_batch: int = 1000, reconnect_s: float = 1.0, utc_offset_s: float = 0.0,
                 max_pending: int = 50_000, log_every: int = 5) -> None:
        self.host, self.port = host, port
        self.post = post
        self.flush_s = flush_s
        self.max_batch = max_batch
        self.reconnect_s = reconnect_s
        self.max_pending = max_pending
        self.log_every = log_every
        self.merger = SbsMerger(party, utc_offset_s=utc_offset_s)
        self.stats = FeedStats()
        self._pending: list[dict[str, Any]] = []

    def _take(self, lines: list[bytes]) -> None:
        result = self.merger.feed(lines, datetime.now(UTC))
        self.stats.lines += len(lines)
        self.stats.reports += result.counts["reports"]
        self.stats.rejected += result.counts["rejected"]
        self.stats.ignored += result.counts["ignored"]
        for n, x in enumerate(result.rejections):
            key = x.reason.split(" ")[0]
            self.stats.reasons[key] = self.stats.reasons.get(key, 0) + 1
            if n < self.log_every:
                log.warning("SBS %s rejected: %s", x.where, x.reason)
        self._pending.extend(report_item(r) for r in result.reports)
        if len(self._pending) > self.max_pending:
            drop = len(self._pending) - self.max_pending
            del self._pending[:drop]
            self.stats.dropped += drop

    def flush(self) -> None:
        while self._pending:
            batch = self._pending[:self.max_batch]
            try:
                self.post(batch)
            except Exception as exc:  # the service is down or refused: keep and retry later
                self.stats.post_failures += 1
                log.warning("posting %d reports failed: %s", len(batch), exc)
                return
            del self._pending[:len(batch)]
            self.stats.posted += len(batch)

    def run(self, stop: threading.Event) -> FeedStats:
        """Read, merge and post until ``stop`` is set."""
        backoff = self.reconnect_s
        while not stop.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=5.0) as sock:
                    self.stats.connects += 1
                    backoff = self.reconnect_s
                    log.info("connected to %s:%d", self.host, self.port)
                    self._read(sock, stop)
            except OSError as exc:
                log.warning("SBS source %s:%d: %s; retrying in %.0f s", self.host, self.port,
                            exc, backoff)
            self.flush()
            if stop.wait(backoff):
                break
            backoff = min(backoff * 2, 30.0)
        self.flush()
        return self.stats

    def _read(self, sock: socket.socket, stop: threading.Event) -> None:
        sock.settimeout(min(self.flush_s, 0.25))
        buffer = b""
        last_flush = datetime.now(UTC)
        while not stop.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                chunk = None
            if chunk == b"":
                if buffer:
                    self._take([buffer])
                return  # closed by the source
            if chunk:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                if lines:
                    self._take(lines)
                if len(buffer) > 65536:  # no line end in 64 KiB: not an SBS stream
                    self._take([buffer[:200]])
                    buffer = b""
            now = datetime.now(UTC)
            if (now - last_flush).total_seconds() >= self.flush_s or \
                    len(self._pending) >= self.max_batch:
                self.flush()
                last_flush = now
