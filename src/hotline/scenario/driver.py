"""Play a scenario against a running Hotline service over HTTP, on a simulated clock.

Contract: the driver is each party's duty officer and systems at once, and uses only the
public API with that party's bearer token (``/v1/zones``, ``/v1/notices``, ``/v1/messages``,
``/v1/alerts``, ``/v1/events``, ``/v1/tracks`` when the server has it). Time: the driver owns
the :class:`~hotline.adapters.clock.SimulatedClock` the service runs on and moves it forward
tick by tick (``start + t_s``), paced at ``speed`` times real time (0: as fast as possible);
every action due at ``t`` happens after the clock reached ``t``, so the order of what the
service records does not depend on the machine's speed. Every :data:`POLL_S` simulated
seconds (from :data:`POLL_OFFSET_S`) each party polls its event stream, confirms delivery
(signed receipts) and schedules the acknowledgment of each alert and message ``ack_delay``
later, except alerts its ``ignore`` rules name (those escalate). Each event seen becomes a
:class:`LogLine` for the caller's ``log`` sink. ``settle`` (optional) is called after each
tick's actions: an in-process demo passes its service's detection and escalation rounds, so
that they run at every tick's simulated time however fast the play. :meth:`Player.play`
returns an :class:`Outcome` with what every party finally sees (checked by
:mod:`hotline.scenario.facts`).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from hotline.adapters.clock import SimulatedClock
from hotline.domain.errors import HotlineError
from hotline.domain.time import format_rfc3339
from hotline.scenario.model import Filing, Ignore, MessageSpec, Scenario, VolumeSpec
from hotline.scenario.tracks import States, sample

#: How often (simulated seconds) each party polls its event stream, from which offset (so
#: that an item is delivered a little after it was raised, as over a real link).
POLL_S = 5.0
POLL_OFFSET_S = 2.0


class PlayError(HotlineError):
    """The service refused something the scenario does (the scenario or service is wrong)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    t_s: float  # scenario seconds
    at: datetime  # simulated time
    party: str
    kind: str  # alert | message | escalation | unacknowledged | filed | sent | ack | tracks
    severity: str
    text: str


@dataclass(slots=True)
class Outcome:
    """What every party sees at the end, as the API answered it (plain JSON)."""

    start: datetime
    end: datetime
    alerts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    inbox: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    outbox: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    filed: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> PUT answer
    message_ids: dict[str, str] = field(default_factory=dict)  # label -> server id
    audit_verify: dict[str, Any] = field(default_factory=dict)
    features: set[str] = field(default_factory=set)
    track_reports: int = 0
    log: list[LogLine] = field(default_factory=list)


def ft(value: float, reference: str) -> dict[str, Any]:
    return {"value": value, "reference": reference, "units": "FT"}


def volume_json(v: VolumeSpec, start: datetime) -> dict[str, Any]:
    """A scenario volume as F3548 Volume4D JSON (times made absolute)."""
    if v.polygon is not None:
        outline: dict[str, Any] = {"outline_polygon": {
            "vertices": [{"lat": p.lat, "lng": p.lon} for p in v.polygon]}}
    else:
        assert v.circle is not None
        outline = {"outline_circle": {
            "center": {"lat": v.circle.center.lat, "lng": v.circle.center.lon},
            "radius": {"value": v.circle.radius_nm, "units": "NM"}}}
    return {"volume": {**outline, "altitude_lower": ft(v.alt_lo_ft, v.reference),
                       "altitude_upper": ft(v.alt_hi_ft, v.reference)},
            "time_start": {"value": format_rfc3339(start + timedelta(seconds=v.start_s))},
            "time_end": {"value": format_rfc3339(start + timedelta(seconds=v.end_s))}}


def filing_json(f: Filing, start: datetime) -> dict[str, Any]:
    vols = [volume_json(v, start) for v in f.volumes]
    if f.kind == "zone":
        return {"volumes": vols, "role": f.role, "name": f.name}
    return {"volumes": vols, "purpose": f.purpose, "priority": f.priority}


def _fields(fields: Mapping[str, Any] | None, start: datetime) -> dict[str, Any] | None:
    """Template fields; a string ``"T+H:MM:SS"`` becomes that absolute simulated time."""
    from hotline.scenario.model import parse_offset

    if fields is None:
        return None
    out: dict[str, Any] = {}
    for k, v in fields.items():
        if isinstance(v, str) and v.startswith("T+"):
            v = format_rfc3339(start + timedelta(seconds=parse_offset(v[2:], f"fields.{k}")))
        out[k] = v
    return out


def ignored(rules: tuple[Ignore, ...], alert: Mapping[str, Any]) -> bool:
    """Whether the party's ignore rules leave this alert (its JSON) unacknowledged."""
    for r in rules:
        if ((r.kind is None or r.kind == alert.get("kind"))
                and (r.subject is None or r.subject == alert.get("subject", {}).get("id"))
                and (r.other is None or r.other == alert.get("other", {}).get("id"))):
            return True
    return False


def report_json(s: States, i: int, start: datetime) -> dict[str, Any]:
    """One position report for ``POST /v1/tracks`` (aviation units named, as on the wire)."""
    a = s.aircraft
    return {"id": a.id, "callsign": a.callsign,
            "time": format_rfc3339(start + timedelta(seconds=float(s.t_s[i]))),
            "lat": round(float(s.lat[i]), 6), "lon": round(float(s.lon[i]), 6),
            "alt_m": round(float(s.alt_m[i]), 2), "alt_ref": a.reference,
            "gs_mps": round(float(s.gs_mps[i]), 3), "trk_deg": round(float(s.trk_deg[i]), 3),
            "vs_mps": round(float(s.vs_mps[i]), 3)}


def _message_text(item: Mapping[str, Any]) -> str:
    """A message's text, or its template and fields, for the log."""
    body = item.get("body") or {}
    if body.get("text"):
        return str(body["text"])
    fields = body.get("fields") or {}
    return f"[{item.get('template')}] " + ", ".join(f"{k}={v}" for k, v in fields.items())


class Player:
    """Plays one scenario once (see the module contract)."""

    def __init__(self, scenario: Scenario, base_url: str, tokens: Mapping[str, str],
                 admin_token: str, clock: SimulatedClock, start: datetime,
                 speed: float = 0.0, log: Callable[[LogLine], None] | None = None,
                 feed_tokens: Mapping[str, str] | None = None,
                 settle: Callable[[], None] | None = None) -> None:
        self.sc = scenario
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.tokens = dict(tokens)
        self.feed_tokens = dict(feed_tokens or tokens)
        self.admin = admin_token
        self.clock = clock
        self.start = start
        self.speed = speed
        self.sink = log
        self.settle = settle
        self.out = Outcome(start, start + timedelta(seconds=scenario.duration_s))
        self.cursor = dict.fromkeys(scenario.parties, 0)
        self.t_s = 0.0
        self._queue: list[tuple[float, int, str, Any]] = []
        self._n = 0
        self._acked: set[str] = set()
        self._what: dict[str, str] = {}  # item id -> how the log names it

    # ---------------------------------------------------------------- plumbing
    def _h(self, party: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[party]}"}

    def _call(self, method: str, url: str, party: str | None, what: str,
              ok: tuple[int, ...] = (200, 201), token: str | None = None,
              **kw: Any) -> dict[str, Any]:
        tok = token or (self.tokens[party] if party else self.admin)
        r = self.http.request(method, url, headers={"Authorization": f"Bearer {tok}"}, **kw)
        if r.status_code not in ok:
            raise PlayError(f"{what}: HTTP {r.status_code}: {r.text[:500]}",
                            hint="fix the scenario file, or the service")
        body: dict[str, Any] = r.json()
        return body

    def _emit(self, party: str, kind: str, severity: str, text: str) -> None:
        line = LogLine(self.t_s, self.start + timedelta(seconds=self.t_s), party, kind,
                       severity, text)
        self.out.log.append(line)
        if self.sink is not None:
            self.sink(line)

    def _at(self, t_s: float, kind: str, item: Any) -> None:
        heapq.heappush(self._queue, (t_s, self._n, kind, item))
        self._n += 1

    # ---------------------------------------------------------------- actions
    def _file(self, f: Filing) -> None:
        path = f"/v1/{f.kind}s/{f.id}"
        body = self._call("PUT", path, f.party, f"filing {f.kind} {f.id}",
                          json=filing_json(f, self.start))
        self.out.filed[f.id] = body
        lead = body.get("lead_time", {}) if f.kind == "notice" else {}
        note = ""
        if lead:
            note = f" lead {lead.get('measured_s', 0):.0f} s" + (
                " LATE" if lead.get("late") else "")
        self._emit(f.party, "filed", "info",
                   f"{f.kind} {f.id} v{body.get('version')} filed, "
                   f"{len(body.get('conflicts', []))} conflict(s){note}")

    def _send(self, m: MessageSpec) -> None:
        d = m.draft
        body: dict[str, Any] = {"to": d.to}
        if d.text is not None:
            body["text"] = d.text
        else:
            body["template"] = d.template
            body["fields"] = _fields(d.fields, self.start)
        if d.in_reply_to is not None:
            body["in_reply_to"] = self.out.message_ids[d.in_reply_to]
        sent = self._call("POST", "/v1/messages", m.sender, f"message {m.label}", json=body)
        self.out.message_ids[m.label] = sent["id"]
        self._emit(m.sender, "sent", "info",
                   f"to {d.to}: {d.text or _message_text({'template': d.template, 'body': body})}")

    def _poll(self, party: str) -> None:
        page = self._call("GET", "/v1/events", party, f"events of {party}",
                          params={"after": self.cursor[party], "limit": 1000})
        items = page["items"]
        if not items:
            return
        for e in items:
            self._seen(party, e)
        self.cursor[party] = page["cursor"]
        self._call("POST", "/v1/events/ack", party, f"delivery confirmation of {party}",
                   json={"through": self.cursor[party]})

    def _seen(self, party: str, e: Mapping[str, Any]) -> None:
        item = e["item"]
        kind = e["kind"]
        delay = self.sc.parties[party].ack_delay_s
        if kind == "alert":
            o = item.get("other", {})
            what = f"{item['kind']} {item.get('subject', {}).get('id')} x {o.get('id')}"
            self._what[item["id"]] = what
            self._emit(party, "alert", item.get("severity", ""), what)
            if not ignored(self.sc.parties[party].ignore, item):
                self._at(self.t_s + delay, "ack_alert", (party, item["id"]))
        elif kind == "message":
            text = _message_text(item)
            self._what[item["id"]] = f"message from {item.get('from')}"
            self._emit(party, "message", "info", f"from {item.get('from')}: {text}")
            self._at(self.t_s + delay, "ack_message", (party, item["id"]))
        else:
            inner = item.get("item", {})
            self._emit(party, kind, inner.get("severity", "urgent"),
                       f"{item.get('type')} {inner.get('id')} "
                       f"{inner.get('kind', '')} step {item.get('step')}")

    def _ack(self, kind: str, party: str, id: str) -> None:
        if id in self._acked:
            return
        what = "alerts" if kind == "ack_alert" else "messages"
        self._call("POST", f"/v1/{what}/{id}/ack", party, f"ack of {id}")
        self._acked.add(id)
        self._emit(party, "ack", "info", f"acknowledged {self._what.get(id, id)}")

    # ---------------------------------------------------------------- tracks
    def _tracks_available(self) -> bool:
        r = self.http.get("/openapi.json")
        paths = r.json().get("paths", {}) if r.status_code == 200 else {}
        return "/v1/tracks" in paths and "post" in paths["/v1/tracks"]

    def _post_tracks(self, batch: Mapping[str, list[dict[str, Any]]]) -> None:
        for party, reports in batch.items():
            self._call("POST", "/v1/tracks", None, f"tracks of {party}", ok=(200, 201, 202),
                       token=self.feed_tokens[party], json={"reports": reports})
            self.out.track_reports += len(reports)

    # ---------------------------------------------------------------- play
    def play(self) -> Outcome:
        sc = self.sc
        if self._tracks_available():
            self.out.features.add("tracks")
        for f in sc.filings:
            self._at(f.at_s, "file", f)
        for m in sc.messages:
            self._at(m.at_s, "send", m)
        t = POLL_OFFSET_S
        while t <= sc.duration_s:
            self._at(t, "poll", None)
            t += POLL_S
        if "tracks" in self.out.features:
            for s in sample(sc.aircraft, sc.report_every_s, sc.duration_s):
                by_time: dict[float, list[int]] = {}
                for i, ts in enumerate(s.t_s):
                    by_time.setdefault(float(ts), []).append(i)
                for ts, idx in by_time.items():
                    self._at(ts, "tracks", (s, idx))
        wall0 = time.monotonic()
        while self._queue and self._queue[0][0] <= sc.duration_s:
            t_s = self._queue[0][0]
            self._advance(t_s, wall0)
            batch: dict[str, list[dict[str, Any]]] = {}
            while self._queue and self._queue[0][0] == t_s:
                _, _, kind, item = heapq.heappop(self._queue)
                if kind == "file":
                    self._file(item)
                elif kind == "send":
                    self._send(item)
                elif kind == "poll":
                    for party in sc.parties:
                        self._poll(party)
                elif kind == "tracks":
                    s, idx = item
                    batch.setdefault(s.aircraft.party, []).extend(
                        report_json(s, i, self.start) for i in idx)
                else:
                    self._ack(kind, *item)
            if batch:
                self._post_tracks(batch)
            if self.settle is not None:
                self.settle()
        self._advance(sc.duration_s, wall0)
        self._finish()
        return self.out

    def _advance(self, t_s: float, wall0: float) -> None:
        if self.speed > 0:
            delay = wall0 + t_s / self.speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self.t_s = t_s
        self.clock.advance_to(self.start + timedelta(seconds=t_s))

    def _finish(self) -> None:
        for party in self.sc.parties:
            self._poll(party)
            self.out.alerts[party] = self._call("GET", "/v1/alerts", party, "alerts",
                                                params={"limit": 1000})["items"]
            self.out.events[party] = self._call("GET", "/v1/events", party, "events",
                                                params={"limit": 1000})["items"]
            self.out.inbox[party] = self._call("GET", "/v1/messages", party, "inbox",
                                               params={"box": "in", "limit": 1000})["items"]
            self.out.outbox[party] = self._call("GET", "/v1/messages", party, "outbox",
                                                params={"box": "out", "limit": 1000})["items"]
        self.out.audit_verify = self._call("GET", "/v1/audit/verify", None, "audit verify")
        self.out.end = self.clock.now()

    def close(self) -> None:
        self.http.close()
