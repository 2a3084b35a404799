"""OpenSky Network state vectors (the REST ``/states/all`` answer) to track reports (pure).

Input: ``{"time": <epoch s>, "states": [[icao24, callsign, origin_country, time_position,
last_contact, longitude, latitude, baro_altitude, on_ground, velocity, true_track,
vertical_rate, sensors, geo_altitude, squawk, spi, position_source, (category)], ...]}`` as
JSON text, bytes or the decoded mapping. OpenSky units are SI already: metres, m/s, degrees,
epoch seconds. Altitude: ``baro_altitude`` as :attr:`AltitudeReference.PRESSURE` by default
(``prefer="geo"``: ``geo_altitude`` as ``W84``), the other one when the preferred is null.
The aircraft id is the ICAO 24-bit address in upper case; the time is ``time_position``.

Outcomes (:class:`ParseResult`): a report; ``ignored`` for vectors OpenSky itself marks as
without a position, velocity or altitude (nulls), or on the ground; a :class:`Rejection`
(``states[i]``) for a vector of the wrong shape or with impossible values. A document that is
not a state-vector answer at all raises :class:`InvalidInput`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hotline.domain.altitude import AltitudeReference
from hotline.domain.errors import InvalidInput
from hotline.domain.tracks import ParseResult, make_report

MIN_FIELDS = 17


def _load(data: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not JSON: {exc}",
                           hint="give the body of GET /api/states/all") from None
    if not isinstance(doc, Mapping):
        raise InvalidInput("not a JSON object", hint='expected {"time": ..., "states": [...]}')
    return doc


def parse_opensky(data: str | bytes | Mapping[str, Any], party: str, *,
                  prefer: str = "baro") -> ParseResult:
    """Reports for ``party`` from one OpenSky answer (see the module docstring)."""
    if prefer not in ("baro", "geo"):
        raise InvalidInput(f"prefer {prefer!r} is not baro or geo", hint="use baro or geo")
    doc = _load(data)
    states = doc.get("states")
    if states is None:
        return ParseResult()  # OpenSky answers "states": null when nothing is in view
    if not isinstance(states, list):
        raise InvalidInput("'states' is not a list", hint="give the body of /api/states/all")
    out = ParseResult()
    for i, sv in enumerate(states):
        where = f"states[{i}]"
        if not isinstance(sv, list) or len(sv) < MIN_FIELDS:
            out.reject(where, f"a state vector is a list of at least {MIN_FIELDS} values")
            continue
        icao = sv[0]
        if not isinstance(icao, str) or len(icao) != 6:
            out.reject(where, f"icao24 {icao!r} is not 6 hex digits")
            continue
        icao = icao.upper()
        t, lon, lat, baro, ground = sv[3], sv[5], sv[6], sv[7], sv[8]
        gs, trk, vs, geo = sv[9], sv[10], sv[11], sv[13]
        if ground is True or t is None or lat is None or lon is None or gs is None \
                or trk is None:
            out.counts["ignored"] += 1
            continue
        use_baro = (baro is not None) if prefer == "baro" else (geo is None)
        alt = baro if use_baro else geo
        if alt is None:
            out.counts["ignored"] += 1
            continue
        ref = AltitudeReference.PRESSURE if use_baro else AltitudeReference.W84
        try:
            if not isinstance(t, (int, float)) or isinstance(t, bool):
                raise InvalidInput(f"time_position {t!r} is not epoch seconds",
                                   hint="OpenSky gives integer epoch seconds")
            when = datetime.fromtimestamp(float(t), UTC)
            callsign = sv[1] if isinstance(sv[1], str) else ""
            out.add(make_report(party, icao, when, lat, lon, alt, ref, gs, trk,
                                0.0 if vs is None else vs, callsign=callsign, source="opensky"),
                    where)
        except (InvalidInput, OverflowError, OSError, ValueError) as exc:
            reason = exc.message if isinstance(exc, InvalidInput) else str(exc)
            out.reject(where, reason, icao)
    return out
