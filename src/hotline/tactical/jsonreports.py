"""Track reports from the JSON of ``POST /v1/tracks`` (pure), one rejection per bad item.

Each item is an object with the column conventions of the CSV files: ``id`` (or ``aircraft``),
``time`` (RFC
3339 with ``Z``) or ``time_s`` (epoch seconds), ``lat``, ``lon`` (degrees), ``alt_m`` or
``alt_ft`` with optional ``alt_ref`` (``W84`` default, ``AMSL``, ``PRESSURE``), ``gs_mps`` or
``gs_kt``, ``trk_deg``, optional ``vs_mps`` or ``vs_fpm`` (0), optional ``callsign`` and
``party``. The party comes from the caller (the feed's token): an item naming another party is
refused by the caller (:func:`foreign_parties` lists them), not here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hotline.domain.altitude import AltitudeReference
from hotline.domain.errors import InvalidInput
from hotline.domain.time import parse_rfc3339
from hotline.domain.tracks import ParseResult, make_report
from hotline.domain.units import FPM, FT, KT

_ALT = (("alt_m", 1.0), ("alt_ft", FT))
_GS = (("gs_mps", 1.0), ("gs_kt", KT))
_VS = (("vs_mps", 1.0), ("vs_fpm", FPM))


def _one(item: Mapping[str, Any], options: tuple[tuple[str, float], ...], what: str,
         required: bool = True) -> float:
    found = [(k, f) for k, f in options if item.get(k) is not None]
    if len(found) > 1:
        raise InvalidInput(f"both {found[0][0]} and {found[1][0]} given",
                           hint=f"give the {what} once, in one unit")
    if not found:
        if not required:
            return 0.0
        raise InvalidInput(f"no {what}", hint=f"give one of {', '.join(k for k, _ in options)}")
    key, factor = found[0]
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{key} {value!r} is not a number", hint=f"give {key} as a number")
    return float(value) * factor


def _num(item: Mapping[str, Any], key: str) -> float:
    value = item.get(key)
    if value is None:
        raise InvalidInput(f"no {key}", hint=f"give {key}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{key} {value!r} is not a number", hint=f"give {key} as a number")
    return float(value)


def _time(item: Mapping[str, Any]) -> datetime:
    if item.get("time") is not None:
        if not isinstance(item["time"], str):
            raise InvalidInput("time is not a string", hint="write it like 2026-11-24T20:00:00Z")
        return parse_rfc3339(item["time"])
    seconds = _num(item, "time_s") if "time_s" in item else None
    if seconds is None:
        raise InvalidInput("no time", hint="give time (RFC 3339) or time_s (epoch seconds)")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(f"time_s {seconds:g} is out of range", hint="give epoch seconds") \
            from None


def parse_items(items: Sequence[Any], party: str) -> ParseResult:
    """Reports for ``party`` from the batch ``items`` (rejections are ``reports[i]``)."""
    out = ParseResult()
    for i, item in enumerate(items):
        where = f"reports[{i}]"
        if not isinstance(item, Mapping):
            out.reject(where, "a report is a JSON object")
            continue
        aircraft = item.get("id", item.get("aircraft"))
        try:
            if not isinstance(aircraft, str):
                raise InvalidInput("no id", hint="give the aircraft id as a string")
            ref_text = item.get("alt_ref") or "W84"
            try:
                ref = AltitudeReference(str(ref_text).upper())
            except ValueError:
                raise InvalidInput(f"alt_ref {str(ref_text)[:12]!r} is not W84, AMSL or "
                                   "PRESSURE", hint="use W84, AMSL or PRESSURE") from None
            callsign = item.get("callsign") or ""
            out.add(make_report(
                party, aircraft, _time(item), _num(item, "lat"), _num(item, "lon"),
                _one(item, _ALT, "altitude"), ref, _one(item, _GS, "ground speed"),
                _num(item, "trk_deg"), _one(item, _VS, "vertical speed", required=False),
                callsign=callsign if isinstance(callsign, str) else "", source="api"), where)
        except InvalidInput as exc:
            out.reject(where, exc.message, aircraft if isinstance(aircraft, str) else "")
    return out


def foreign_parties(items: Sequence[Any], party: str) -> list[str]:
    """Parties other than ``party`` that items name in a ``party`` member."""
    return sorted({str(it["party"]) for it in items
                   if isinstance(it, Mapping) and it.get("party") not in (None, party)})
