"""The scenario format: parse and validate a scenario file (TOML) into typed, checked values.

Contract: pure code (the only I/O is :func:`load_scenario` reading one file). Times in the file
are offsets from the scenario's start (``"H:MM:SS"``, ``"MM:SS"`` or seconds); inside they are
float seconds (``*_s``). Aviation units appear in names at this edge (``alt_ft``, ``gs_kt``,
``radius_nm``) and are kept so (the driver converts them for the API, the track generator to
SI). Every error is :class:`~hotline.domain.errors.InvalidInput` located at the offending key
(``aircraft[2].route[3].lat``) with a hint saying how to fix it. Cross-references (parties,
zones, aircraft, message labels) are checked. The format is documented in docs/SCENARIOS.md.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotline.domain.errors import InvalidInput
from hotline.relay.messages import MessageDraft

ROLES = ("airspace", "protected", "engagement")
REFERENCES = ("AMSL", "W84", "PRESSURE")
#: Fact kinds an ``[[expect]]`` table may name, and the feature each needs on the server.
FACTS: dict[str, str | None] = {
    "late_notice": None,
    "conflict": None,
    "escalation": None,
    "message_acknowledged": None,
    "audit_verified": None,
    "encounter": "tracks",
    "zone_approach": "tracks",
}
_PARTY = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~:-]{0,63}$")
_TIME = re.compile(r"^\+?(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d+))?$")


@dataclass(frozen=True, slots=True)
class LatLon:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Circle:
    center: LatLon
    radius_nm: float


@dataclass(frozen=True, slots=True)
class VolumeSpec:
    """One 4D volume: a polygon (great-circle edges) or a circle, a band, a window."""

    polygon: tuple[LatLon, ...] | None
    circle: Circle | None
    alt_lo_ft: float
    alt_hi_ft: float
    reference: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Filing:
    """A zone or notice filed by ``party`` at ``at_s``."""

    kind: str  # zone | notice
    id: str
    party: str
    at_s: float
    volumes: tuple[VolumeSpec, ...]
    role: str = ""  # zones
    name: str = ""  # zones
    purpose: str = ""  # notices
    priority: int = 0  # notices


@dataclass(frozen=True, slots=True)
class Ignore:
    """Alerts a party's duty officer leaves unacknowledged (every given member must match)."""

    kind: str | None = None
    subject: str | None = None
    other: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    title: str
    officer: str
    ack_delay_s: float  # acknowledges alerts and messages this long after they arrive
    ignore: tuple[Ignore, ...] = ()


@dataclass(frozen=True, slots=True)
class Waypoint:
    lat: float
    lon: float
    alt_ft: float
    gs_kt: float  # ground speed on the leg that ends here (the first: the initial speed)


@dataclass(frozen=True, slots=True)
class Aircraft:
    id: str
    party: str
    callsign: str
    role: str
    start_s: float
    route: tuple[Waypoint, ...]
    reference: str = "AMSL"


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """A message the scenario sends: ``draft`` as the API takes it (its ``in_reply_to`` is
    the *label* of an earlier message of the scenario), from ``sender`` at ``at_s``."""

    label: str
    at_s: float
    sender: str
    draft: MessageDraft


@dataclass(frozen=True, slots=True)
class Expectation:
    fact: str
    params: Mapping[str, Any]
    requires: str | None  # a server feature the check needs (None: always checked)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    start: datetime | None  # None: chosen when played
    duration_s: float
    report_every_s: float
    parties: Mapping[str, Party]
    filings: tuple[Filing, ...]  # in filing order
    aircraft: tuple[Aircraft, ...]
    messages: tuple[MessageSpec, ...]
    expectations: tuple[Expectation, ...] = field(default=())

    def filing(self, id: str) -> Filing:
        for f in self.filings:
            if f.id == id:
                return f
        raise KeyError(id)


# ---------------------------------------------------------------------------- helpers
def parse_offset(value: object, where: str) -> float:
    """Seconds from an offset: ``"H:MM:SS"``, ``"MM:SS"``, ``"+0:14:20"`` or a number."""
    if isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not a time offset", hint="write H:MM:SS", where=where)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _TIME.match(value.strip())):
        h, mi, s, frac = m.groups()
        seconds = int(h or 0) * 3600 + int(mi) * 60 + int(s) + float(f"0.{frac or 0}")
        if int(s) >= 60 or (h is not None and int(mi) >= 60):
            raise InvalidInput(f"{value!r} has minutes or seconds over 59",
                               hint="write H:MM:SS, e.g. 0:14:20", where=where)
    else:
        raise InvalidInput(f"{value!r} is not a time offset",
                           hint="write H:MM:SS (e.g. 0:14:20), MM:SS or seconds", where=where)
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidInput(f"offset {value!r} must be finite and not negative", where=where)
    return seconds


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"expected a table, got {type(value).__name__}", where=where)
    return value


def _tables(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise InvalidInput(f"'{key}' must be an array of tables", hint=f"write [[{key}]]",
                           where=key)
    return [_table(v, f"{key}[{i}]") for i, v in enumerate(value)]


def _keys(t: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(t) - allowed)
    if unknown:
        raise InvalidInput(f"unknown key(s) {unknown}", hint=f"allowed: {sorted(allowed)}",
                           where=where)


def _req(t: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in t:
        raise InvalidInput(f"'{key}' is missing", where=where)
    return t[key]


def _num(value: object, where: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{value!r} is not a number", where=where)
    v = float(value)
    if not (math.isfinite(v) and lo <= v <= hi):
        raise InvalidInput(f"{v:g} is out of range", hint=f"use {lo:g}..{hi:g}", where=where)
    return v


def _str(value: object, where: str, pattern: re.Pattern[str] | None = None,
         hint: str = "") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{value!r} is not a non-empty string", where=where)
    if pattern is not None and not pattern.match(value):
        raise InvalidInput(f"{value!r} is not a valid name", hint=hint, where=where)
    return value


def _latlon(value: object, where: str) -> LatLon:
    if isinstance(value, Mapping):
        _keys(value, {"lat", "lon"}, where)
        lat, lon = _req(value, "lat", where), _req(value, "lon", where)
    elif isinstance(value, list) and len(value) == 2:
        lat, lon = value
    else:
        raise InvalidInput(f"{value!r} is not a position", hint="write [lat, lon] in degrees",
                           where=where)
    return LatLon(_num(lat, f"{where}.lat", -90, 90), _num(lon, f"{where}.lon", -180, 180))


# ---------------------------------------------------------------------------- sections
_VOLUME_KEYS = {"polygon", "circle", "alt_ft", "reference", "from", "to"}


def _volume(t: Mapping[str, Any], where: str) -> VolumeSpec:
    polygon = circle = None
    if ("polygon" in t) == ("circle" in t):
        raise InvalidInput("give exactly one of 'polygon' or 'circle'", where=where)
    if "polygon" in t:
        pts = t["polygon"]
        if not isinstance(pts, list) or len(pts) < 3:
            raise InvalidInput("a polygon needs at least 3 vertices",
                               hint="write [[lat, lon], [lat, lon], [lat, lon], ...]",
                               where=f"{where}.polygon")
        polygon = tuple(_latlon(p, f"{where}.polygon[{i}]") for i, p in enumerate(pts))
    else:
        c = _table(t["circle"], f"{where}.circle")
        _keys(c, {"lat", "lon", "radius_nm"}, f"{where}.circle")
        circle = Circle(_latlon({"lat": _req(c, "lat", f"{where}.circle"),
                                 "lon": _req(c, "lon", f"{where}.circle")}, f"{where}.circle"),
                        _num(_req(c, "radius_nm", f"{where}.circle"),
                             f"{where}.circle.radius_nm", 0.01, 1000))
    band = _req(t, "alt_ft", where)
    if not isinstance(band, list) or len(band) != 2:
        raise InvalidInput("'alt_ft' must be [lower, upper] in feet", where=f"{where}.alt_ft")
    lo = _num(band[0], f"{where}.alt_ft[0]", -2000, 200_000)
    hi = _num(band[1], f"{where}.alt_ft[1]", -2000, 200_000)
    if hi <= lo:
        raise InvalidInput(f"upper {hi:g} ft is not above lower {lo:g} ft", where=f"{where}.alt_ft")
    ref = t.get("reference", "AMSL")
    if ref not in REFERENCES:
        raise InvalidInput(f"reference {ref!r} is unknown", hint=f"use one of {REFERENCES}",
                           where=f"{where}.reference")
    start = parse_offset(_req(t, "from", where), f"{where}.from")
    end = parse_offset(_req(t, "to", where), f"{where}.to")
    if end <= start:
        raise InvalidInput("'to' must be after 'from'", where=f"{where}.to")
    return VolumeSpec(polygon, circle, lo, hi, str(ref), start, end)


def _volumes(t: Mapping[str, Any], where: str) -> tuple[VolumeSpec, ...]:
    if "volumes" in t:
        vols = t["volumes"]
        if not isinstance(vols, list) or not vols:
            raise InvalidInput("'volumes' must be a non-empty array of tables",
                               where=f"{where}.volumes")
        if _VOLUME_KEYS & set(t):
            raise InvalidInput("give 'volumes' or one volume's keys, not both", where=where)
        out = []
        for i, v in enumerate(vols):
            w = f"{where}.volumes[{i}]"
            vt = _table(v, w)
            _keys(vt, _VOLUME_KEYS, w)
            out.append(_volume(vt, w))
        return tuple(out)
    return (_volume(t, where),)


def _filing(kind: str, t: Mapping[str, Any], where: str) -> Filing:
    common = {"id", "party", "at", "volumes"} | _VOLUME_KEYS
    if kind == "zone":
        _keys(t, common | {"role", "name"}, where)
        role = _req(t, "role", where)
        if role not in ROLES:
            raise InvalidInput(f"role {role!r} is unknown", hint=f"use one of {ROLES}",
                               where=f"{where}.role")
        extra: dict[str, Any] = {"role": role, "name": str(t.get("name", ""))}
    else:
        _keys(t, common | {"purpose", "priority"}, where)
        extra = {"purpose": str(t.get("purpose", "")),
                 "priority": int(_num(t.get("priority", 0), f"{where}.priority", 0, 100))}
    return Filing(kind, _str(_req(t, "id", where), f"{where}.id", _ID,
                             "1-64 letters, digits, '.', '_', '~', ':' or '-'"),
                  _str(_req(t, "party", where), f"{where}.party"),
                  parse_offset(t.get("at", 0), f"{where}.at"), _volumes(t, where), **extra)


def _party(name: str, t: Mapping[str, Any], where: str) -> Party:
    _keys(t, {"title", "officer", "ack_delay", "ignore"}, where)
    ignores = t.get("ignore", [])
    if not isinstance(ignores, list):
        raise InvalidInput("'ignore' must be an array of tables", where=f"{where}.ignore")
    out = []
    for i, ig in enumerate(ignores):
        w = f"{where}.ignore[{i}]"
        it = _table(ig, w)
        _keys(it, {"kind", "subject", "other"}, w)
        if not it:
            raise InvalidInput("an empty ignore rule would leave every alert unacknowledged",
                               hint="name a kind, subject or other", where=w)
        out.append(Ignore(it.get("kind"), it.get("subject"), it.get("other")))
    return Party(name, str(t.get("title", name)),
                 _str(t.get("officer", f"{name}-duty"), f"{where}.officer"),
                 parse_offset(t.get("ack_delay", 30), f"{where}.ack_delay"), tuple(out))


def _aircraft(t: Mapping[str, Any], where: str) -> Aircraft:
    _keys(t, {"id", "party", "callsign", "role", "start", "gs_kt", "reference", "route"}, where)
    gs = _num(t.get("gs_kt", 250), f"{where}.gs_kt", 1, 2000)
    route = _req(t, "route", where)
    if not isinstance(route, list) or len(route) < 2:
        raise InvalidInput("a route needs at least 2 waypoints", where=f"{where}.route")
    wps = []
    for i, w in enumerate(route):
        ww = f"{where}.route[{i}]"
        wt = _table(w, ww)
        _keys(wt, {"lat", "lon", "alt_ft", "gs_kt"}, ww)
        p = _latlon({"lat": _req(wt, "lat", ww), "lon": _req(wt, "lon", ww)}, ww)
        gs = _num(wt.get("gs_kt", gs), f"{ww}.gs_kt", 1, 2000)
        wps.append(Waypoint(p.lat, p.lon, _num(_req(wt, "alt_ft", ww), f"{ww}.alt_ft",
                                              -1000, 100_000), gs))
    ref = t.get("reference", "AMSL")
    if ref not in REFERENCES:
        raise InvalidInput(f"reference {ref!r} is unknown", hint=f"use one of {REFERENCES}",
                           where=f"{where}.reference")
    return Aircraft(_str(_req(t, "id", where), f"{where}.id", _ID,
                         "1-64 letters, digits, '.', '_', '~', ':' or '-'"),
                    _str(_req(t, "party", where), f"{where}.party"),
                    str(t.get("callsign", t["id"]))[:16], str(t.get("role", "")),
                    parse_offset(t.get("start", 0), f"{where}.start"), tuple(wps), str(ref))


def _message(t: Mapping[str, Any], where: str) -> MessageSpec:
    _keys(t, {"id", "at", "from", "to", "text", "template", "fields", "in_reply_to"}, where)
    if ("text" in t) == ("template" in t):
        raise InvalidInput("give exactly one of 'text' or 'template'", where=where)
    fields = t.get("fields")
    if fields is not None:
        _table(fields, f"{where}.fields")
    return MessageSpec(str(t.get("id", where)), parse_offset(_req(t, "at", where), f"{where}.at"),
                       _str(_req(t, "from", where), f"{where}.from"),
                       MessageDraft(_str(_req(t, "to", where), f"{where}.to"), t.get("text"),
                                    t.get("template"), fields, t.get("in_reply_to")))


def _expect(t: Mapping[str, Any], where: str) -> Expectation:
    fact = _req(t, "fact", where)
    if fact not in FACTS:
        raise InvalidInput(f"fact {fact!r} is unknown", hint=f"use one of {sorted(FACTS)}",
                           where=f"{where}.fact")
    return Expectation(fact, {k: v for k, v in t.items() if k != "fact"}, FACTS[fact])


# ---------------------------------------------------------------------------- scenario
def parse_scenario(doc: Mapping[str, Any]) -> Scenario:
    """A checked :class:`Scenario` from a parsed TOML document."""
    _keys(doc, {"scenario", "parties", "zones", "notices", "aircraft", "messages", "expect"},
          "(top level)")
    head = _table(_req(doc, "scenario", "(top level)"), "scenario")
    _keys(head, {"name", "description", "start", "duration", "report_every"}, "scenario")
    start = head.get("start")
    if start is not None:
        if not isinstance(start, datetime) or start.tzinfo is None:
            raise InvalidInput("'start' must be an instant with an offset",
                               hint="write start = 2030-06-01T05:00:00Z (no quotes)",
                               where="scenario.start")
        start = start.astimezone(UTC)
    duration = parse_offset(_req(head, "duration", "scenario"), "scenario.duration")
    every = parse_offset(head.get("report_every", 4), "scenario.report_every")
    if not 0.5 <= every <= 60:
        raise InvalidInput(f"report_every {every:g} s is out of range", hint="use 0.5..60 s",
                           where="scenario.report_every")
    ptab = _table(_req(doc, "parties", "(top level)"), "parties")
    parties = {}
    for name, t in ptab.items():
        _str(name, f"parties.{name}", _PARTY, "lower-case letters, digits, '_' or '-'")
        parties[name] = _party(name, _table(t, f"parties.{name}"), f"parties.{name}")
    if len(parties) < 2:
        raise InvalidInput("a scenario needs at least two parties", where="parties")

    filings = [_filing("zone", t, f"zones[{i}]") for i, t in enumerate(_tables(doc, "zones"))]
    filings += [_filing("notice", t, f"notices[{i}]")
                for i, t in enumerate(_tables(doc, "notices"))]
    aircraft = [_aircraft(t, f"aircraft[{i}]") for i, t in enumerate(_tables(doc, "aircraft"))]
    messages = [_message(t, f"messages[{i}]") for i, t in enumerate(_tables(doc, "messages"))]
    expects = [_expect(t, f"expect[{i}]") for i, t in enumerate(_tables(doc, "expect"))]

    _check_refs(parties, filings, aircraft, messages, duration)
    order = sorted(range(len(filings)), key=lambda i: (filings[i].at_s, i))
    return Scenario(str(head.get("name", "scenario")), str(head.get("description", "")), start,
                    duration, every, parties, tuple(filings[i] for i in order),
                    tuple(aircraft), tuple(sorted(messages, key=lambda m: m.at_s)),
                    tuple(expects))


def _check_refs(parties: Mapping[str, Party], filings: Sequence[Filing],
                aircraft: Sequence[Aircraft], messages: Sequence[MessageSpec],
                duration: float) -> None:
    def party(name: str, where: str) -> None:
        if name not in parties:
            raise InvalidInput(f"party {name!r} is not declared",
                               hint=f"add [parties.{name}] or use one of {sorted(parties)}",
                               where=where)

    seen: set[tuple[str, str]] = set()
    for f in filings:
        w = f"{f.kind}s[id={f.id}]"
        party(f.party, f"{w}.party")
        if (f.kind, f.id) in seen:
            raise InvalidInput(f"{f.kind} id {f.id!r} is used twice", where=w)
        seen.add((f.kind, f.id))
        if f.at_s > duration:
            raise InvalidInput("filed after the scenario ends", where=f"{w}.at")
        for v in f.volumes:
            if v.end_s <= f.at_s:
                raise InvalidInput("a volume ends before it is filed",
                                   hint="the service refuses activity that has ended", where=w)
    ids: set[str] = set()
    for a in aircraft:
        party(a.party, f"aircraft[id={a.id}].party")
        if a.id in ids:
            raise InvalidInput(f"aircraft id {a.id!r} is used twice", where="aircraft")
        ids.add(a.id)
    labels: set[str] = set()
    for m in messages:
        w = f"messages[id={m.label}]"
        party(m.sender, f"{w}.from")
        party(m.draft.to, f"{w}.to")
        if m.sender == m.draft.to:
            raise InvalidInput("a message must go to another party", where=f"{w}.to")
        if m.draft.in_reply_to is not None and m.draft.in_reply_to not in labels:
            raise InvalidInput(f"in_reply_to {m.draft.in_reply_to!r} names no earlier message",
                               hint="give the id of a message sent before this one",
                               where=f"{w}.in_reply_to")
        labels.add(m.label)
    for p in parties.values():
        for ig in p.ignore:
            for ref in (ig.subject, ig.other):
                if ref is not None and not any(f.id == ref for f in filings) \
                        and ref not in ids:
                    raise InvalidInput(f"ignore rule names {ref!r}, which is not filed",
                                       where=f"parties.{p.name}.ignore")


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file; errors name the file."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", where=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not valid TOML: {exc}", hint="see docs/SCENARIOS.md",
                           where=str(path)) from None
    try:
        return parse_scenario(doc)
    except InvalidInput as exc:
        raise exc.at(path.name) from None
