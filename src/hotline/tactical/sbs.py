"""SBS-1 / BaseStation port-30003 lines to track reports (pure; no I/O, no clock).

Format: comma-separated, 22 fields: ``MSG,<type 1-8>,session,aircraft,HEXIDENT,flight,
date_gen,time_gen,date_log,time_log,callsign,altitude_ft,gs_kt,track_deg,lat,lon,vs_fpm,
squawk,alert,emergency,spi,on_ground``. Units are the wire's: altitude in feet (pressure
altitude, the barometric altitude ADS-B reports, so reports carry
:attr:`AltitudeReference.PRESSURE`), ground speed in knots, vertical rate in ft/min.

Merging (:class:`SbsMerger`, one per feed): ADS-B sends position (``MSG,3``) and velocity
(``MSG,4``) in separate messages. The merger keeps, per hex ident, the last velocity, altitude
and callsign (``MSG,1``), and emits one full :class:`TrackReport` per position line once a
velocity no older than ``max_velocity_age_s`` is known (a position line that carries speed and
track itself is complete on its own). Times: the line's *generated* date and time, read as UTC
(dump1090 and readsb write UTC; pass ``utc_offset_s`` for a receiver that writes local time);
a line without them takes ``now``.

Outcomes, all counted in :class:`ParseResult`: a report; ``ignored`` (well-formed but nothing to
report yet: other message types, surface positions, a position before any velocity); or a
:class:`Rejection` naming the line and what was wrong (wrong field count, bad hex ident, a
field that is not a number, NaN, an impossible value). A bad line never raises.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from hotline.domain.altitude import AltitudeReference
from hotline.domain.errors import InvalidInput
from hotline.domain.tracks import MAX_GS_MPS, MAX_VS_MPS, ParseResult, make_report
from hotline.domain.units import FPM, FT, KT

N_FIELDS: Final = 22
#: Message types that are not aircraft messages: selection, id, new aircraft, status, clock.
OTHER_TYPES: Final = frozenset({"SEL", "ID", "AIR", "STA", "CLK"})
_HEX: Final = frozenset("0123456789ABCDEF")


@dataclass(slots=True)
class _Aircraft:
    """What the merger remembers of one hex ident (SI units, epoch seconds)."""

    callsign: str = ""
    gs_mps: float = math.nan
    trk_deg: float = math.nan
    vs_mps: float = 0.0
    velocity_t: float = -math.inf
    alt_ft: float = math.nan
    alt_t: float = -math.inf


class _Bad(Exception):
    """A malformed field (internal: becomes a Rejection)."""


def _num(text: str, name: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise _Bad(f"{name} {text!r} is not a number") from None
    if not math.isfinite(v):
        raise _Bad(f"{name} is {text}")
    return v


def _opt(text: str, name: str) -> float | None:
    return None if not text.strip() else _num(text, name)


def _when(date: str, time: str) -> datetime | None:
    """``2026/11/24`` and ``12:00:00.000`` as UTC (None if both empty)."""
    if not date and not time:
        return None
    try:
        y, mo, d = date.split("/")
        hms, _, frac = time.partition(".")
        h, mi, s = hms.split(":")
        us = int((frac + "000000")[:6]) if frac else 0
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), us, tzinfo=UTC)
    except ValueError:
        raise _Bad(f"date/time {date!r} {time!r} is not YYYY/MM/DD HH:MM:SS.sss") from None


class SbsMerger:
    """Turns a stream of SBS lines into full reports for ``party`` (see the module docstring)."""

    def __init__(self, party: str, *, max_velocity_age_s: float = 30.0,
                 utc_offset_s: float = 0.0, max_aircraft: int = 100_000) -> None:
        self.party = party
        self.max_velocity_age_s = max_velocity_age_s
        self._offset = timedelta(seconds=utc_offset_s)
        self._max_aircraft = max_aircraft
        self._aircraft: dict[str, _Aircraft] = {}
        self.line_no = 0
        self._last_when: tuple[str, str, datetime | None] = ("", "", None)

    def feed(self, lines: Iterable[str | bytes], now: datetime) -> ParseResult:
        """Parse ``lines`` (with or without line ends); ``now`` dates lines without a time."""
        out = ParseResult()
        for raw in lines:
            self.line_no += 1
            where = f"line {self.line_no}"
            if isinstance(raw, bytes):
                try:
                    line = raw.decode("ascii")
                except UnicodeDecodeError:
                    out.reject(where, "line is not ASCII text")
                    continue
            else:
                line = raw
            line = line.strip()
            if not line:
                continue
            try:
                self._line(line, where, now, out)
            except _Bad as exc:
                out.reject(where, str(exc))
            except InvalidInput as exc:
                out.reject(where, exc.message)
        return out

    def _line(self, line: str, where: str, now: datetime, out: ParseResult) -> None:
        f = line.split(",")
        kind = f[0]
        if kind != "MSG":
            if kind in OTHER_TYPES:
                out.counts["ignored"] += 1
                return
            raise _Bad(f"message type {kind[:10]!r} is not MSG, SEL, ID, AIR, STA or CLK")
        if len(f) < N_FIELDS:
            raise _Bad(f"{len(f)} fields, expected {N_FIELDS}")
        tt = f[1]
        if len(tt) != 1 or not "1" <= tt <= "8":
            raise _Bad(f"transmission type {tt[:10]!r} is not 1..8")
        hexid = f[4].strip().upper()
        tisb = hexid.startswith("~")
        code = hexid[1:] if tisb else hexid
        if len(code) != 6 or not _HEX.issuperset(code):
            raise _Bad(f"hex ident {f[4][:12]!r} is not 6 hex digits")
        date, clock = f[6].strip(), f[7].strip()
        last = self._last_when
        if date == last[0] and clock == last[1]:  # lines of one burst share their time
            when = last[2]
        else:
            when = _when(date, clock)
            self._last_when = (date, clock, when)
        t = (now if when is None else when - self._offset)
        ts = t.timestamp()
        ac = self._aircraft.get(hexid)
        if ac is None:
            if len(self._aircraft) >= self._max_aircraft:
                self._forget_oldest()
            ac = self._aircraft[hexid] = _Aircraft()
        if tt == "1":
            ac.callsign = f[10].strip()
            out.counts["ignored"] += 1
        elif tt == "4":
            gs, trk = _opt(f[12], "ground speed"), _opt(f[13], "track")
            vs = _opt(f[16], "vertical rate")
            if gs is None or trk is None:
                raise _Bad("velocity message without ground speed or track")
            if not 0.0 <= gs * KT <= MAX_GS_MPS:
                raise _Bad(f"ground speed {gs:g} kt is impossible")
            if vs is not None and not abs(vs * FPM) <= MAX_VS_MPS:
                raise _Bad(f"vertical rate {vs:g} ft/min is impossible")
            ac.gs_mps, ac.trk_deg = gs * KT, trk
            ac.vs_mps = 0.0 if vs is None else vs * FPM
            ac.velocity_t = ts
            out.counts["ignored"] += 1
        elif tt in ("5", "7"):
            alt = _opt(f[11], "altitude")
            if alt is not None:
                ac.alt_ft, ac.alt_t = alt, ts
            out.counts["ignored"] += 1
        elif tt == "3":
            self._position(f, hexid, ac, t, ts, where, out)
        else:  # 2 surface position, 6 squawk, 8 all-call: nothing to track in the air
            out.counts["ignored"] += 1

    def _position(self, f: list[str], hexid: str, ac: _Aircraft, t: datetime, ts: float,
                  where: str, out: ParseResult) -> None:
        lat, lon = _opt(f[14], "lat"), _opt(f[15], "lon")
        if lat is None or lon is None:
            raise _Bad("position message without lat/lon")
        alt = _opt(f[11], "altitude")
        if alt is not None:
            ac.alt_ft, ac.alt_t = alt, ts
        elif ts - ac.alt_t > self.max_velocity_age_s:
            out.counts["ignored"] += 1  # no altitude yet
            return
        gs, trk = _opt(f[12], "ground speed"), _opt(f[13], "track")
        if gs is not None and trk is not None:  # a complete line (some feeds fill them in)
            vs = _opt(f[16], "vertical rate")
            ac.gs_mps, ac.trk_deg, ac.vs_mps = gs * KT, trk, 0.0 if vs is None else vs * FPM
            ac.velocity_t = ts
        elif not abs(ts - ac.velocity_t) <= self.max_velocity_age_s:
            out.counts["ignored"] += 1  # no velocity yet: wait for MSG,4
            return
        if f[10].strip():
            ac.callsign = f[10].strip()
        out.add(make_report(self.party, hexid, t, lat, lon, ac.alt_ft * FT,
                            AltitudeReference.PRESSURE, ac.gs_mps, ac.trk_deg, ac.vs_mps,
                            callsign=ac.callsign, source="sbs"), where)

    def _forget_oldest(self) -> None:
        oldest = min(self._aircraft, key=lambda k: self._aircraft[k].velocity_t)
        del self._aircraft[oldest]


def parse_sbs(lines: Iterable[str | bytes], party: str, now: datetime, *,
              max_velocity_age_s: float = 30.0, utc_offset_s: float = 0.0) -> ParseResult:
    """One-shot: merge ``lines`` with a fresh :class:`SbsMerger`."""
    return SbsMerger(party, max_velocity_age_s=max_velocity_age_s,
                     utc_offset_s=utc_offset_s).feed(lines, now)
