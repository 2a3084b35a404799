"""CSV track files to track reports (pure), with the column conventions of ``hotline probe``.

Columns (header row, any order, the unit in the name): ``id``, ``lat``, ``lon`` (degrees),
``alt_m`` or ``alt_ft``, ``gs_mps`` or ``gs_kt``, ``trk_deg``, ``vs_mps`` or ``vs_fpm``
(optional: 0), and the time as ``time_s`` (epoch seconds) or ``time`` (RFC 3339 with ``Z``);
optional ``party`` (else the caller's default), ``alt_ref`` (``W84``, ``AMSL`` or
``PRESSURE``; else the caller's default, ``W84``) and ``callsign``.

A missing or ambiguous column raises :class:`InvalidInput` naming it (nothing is parsed); a
bad row becomes a :class:`Rejection` (``line N``, counting the header as line 1) and the rest
of the file is still read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from hotline.domain.altitude import AltitudeReference
from hotline.domain.errors import InvalidInput
from hotline.domain.notice import check_party
from hotline.domain.time import parse_rfc3339
from hotline.domain.tracks import ParseResult, make_report
from hotline.tactical.csv_columns import ALTITUDE, GROUND_SPEED, VERTICAL_SPEED, pick

#: Alternatives for each quantity: column name -> factor to SI.
_UNITS: dict[str, Mapping[str, float]] = {
    "altitude": ALTITUDE,
    "ground speed": GROUND_SPEED,
    "vertical speed": VERTICAL_SPEED,
    "time": {"time_s": 1.0, "time": 1.0},
}


def _pick(header: set[str], what: str, required: bool) -> tuple[str, float] | None:
    found = pick(header, _UNITS[what])
    if found is None and required:
        raise InvalidInput(f"no {what} column", hint=f"add one of: {', '.join(_UNITS[what])}")
    return found


def _float(row: dict[str, str], column: str) -> float:
    text = (row.get(column) or "").strip()
    if not text:
        raise InvalidInput(f"{column} is empty", hint=f"give a number in column {column}")
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{column} {text[:20]!r} is not a number",
                           hint=f"give a number in column {column}") from None


def parse_csv(text: str | Iterable[str], party: str | None = None, *,
              alt_ref: AltitudeReference = AltitudeReference.W84) -> ParseResult:
    """Reports from CSV ``text`` (see the module docstring); ``party`` is the default party."""
    lines = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.DictReader(lines)
    header = {h.strip() for h in (reader.fieldnames or [])}
    missing = [c for c in ("id", "lat", "lon", "trk_deg") if c not in header]
    if missing:
        raise InvalidInput(f"missing column(s) {', '.join(missing)}",
                           hint="the header needs id,lat,lon,alt_m|alt_ft,gs_mps|gs_kt,trk_deg,"
                           "vs_mps|vs_fpm,time_s|time (and optionally party)")
    alt = _pick(header, "altitude", True)
    gs = _pick(header, "ground speed", True)
    vs = _pick(header, "vertical speed", False)
    tcol = _pick(header, "time", True)
    assert alt is not None and gs is not None and tcol is not None
    if "party" not in header and party is None:
        raise InvalidInput("no party column and no default party",
                           hint="add a party column or name the party (--party)")
    out = ParseResult()
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): v for k, v in raw.items()}
        where = f"line {n}"
        aircraft = (row.get("id") or "").strip()
        try:
            who = check_party((row.get("party") or "").strip() or (party or ""))
            if tcol[0] == "time":
                when = parse_rfc3339((row.get("time") or "").strip())
            else:
                seconds = _float(row, "time_s")
                try:
                    when = datetime.fromtimestamp(seconds, UTC)
                except (OverflowError, OSError, ValueError):
                    raise InvalidInput(f"time_s {seconds:g} is out of range",
                                       hint="give epoch seconds") from None
            ref_text = (row.get("alt_ref") or "").strip().upper()
            try:
                ref = AltitudeReference(ref_text) if ref_text else alt_ref
            except ValueError:
                raise InvalidInput(f"alt_ref {ref_text[:12]!r} is not W84, AMSL or PRESSURE",
                                   hint="use W84, AMSL or PRESSURE") from None
            out.add(make_report(
                who, aircraft, when, _float(row, "lat"), _float(row, "lon"),
                _float(row, alt[0]) * alt[1], ref, _float(row, gs[0]) * gs[1],
                _float(row, "trk_deg"), 0.0 if vs is None else _float(row, vs[0]) * vs[1],
                callsign=(row.get("callsign") or ""), source="csv"), where)
        except InvalidInput as exc:
            out.reject(where, exc.message, aircraft)
    return out
