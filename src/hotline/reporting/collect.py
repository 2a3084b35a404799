"""Collect an incident report's facts for one party over an interval, by its need to know.

Contract: reads only through the same use cases the API serves (:class:`HotlineService`,
:class:`AlertDesk`, :class:`MessageDesk`, :class:`EventDesk`, :class:`AuditTrail`) acting as
the party, plus the stored track history, so a party's report holds exactly what that party
may see: its alerts (with lead time at filing and at delivery, delivery and acknowledgment
receipts, escalation), messages it sent or received, declarations (its own and those it
conflicts with in full; others as reserved airspace), tracks of its own aircraft and of the
aircraft its alerts name, and its own audit records, each checked for inclusion under a freshly
signed tree head. Items belong to the interval ``[start, end]`` by when they were created or
filed; ``area`` (``min_lat, min_lon, max_lat, max_lon``) keeps tracks with a report inside it
and declarations meeting it. Everything is plain JSON (:meth:`ReportData.json`), the same for
two parties wherever both may see an item (an item's JSON does not depend on who asks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hotline.adapters.codec import declaration_to_json, footprint_to_json
from hotline.audit.errors import VerificationFailed
from hotline.audit.treehead import check_inclusion
from hotline.auditing import AuditTrail
from hotline.domain.errors import HotlineError, InvalidInput
from hotline.domain.notice import Kind
from hotline.domain.time import format_rfc3339, parse_rfc3339
from hotline.relay.alerts import alert_json
from hotline.relay.messages import message_json
from hotline.relaying import AlertDesk, EventDesk, MessageDesk
from hotline.service import Actor, HotlineService

REPORT_TYPE = "hotline.incident-report.v1"
#: At most this many track points per aircraft go into a report (evenly thinned).
MAX_POINTS = 2000


@dataclass(frozen=True, slots=True)
class Area:
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    @classmethod
    def parse(cls, text: str) -> Area:
        try:
            a, b, c, d = (float(x) for x in text.split(","))
        except ValueError:
            raise InvalidInput(f"area {text!r} is not four numbers",
                               hint="write --area MIN_LAT,MIN_LON,MAX_LAT,MAX_LON") from None
        if not (-90 <= a < c <= 90 and -180 <= b < d <= 180):
            raise InvalidInput(f"area {text!r} is empty or out of range",
                               hint="MIN_LAT < MAX_LAT and MIN_LON < MAX_LON, in degrees")
        return cls(a, b, c, d)

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True, slots=True)
class Desks:
    """The use cases a report reads through (one set per database)."""

    service: HotlineService
    alerts: AlertDesk
    messages: MessageDesk
    events: EventDesk
    audit: AuditTrail


@dataclass(slots=True)
class ReportData:
    party: str
    start: datetime
    end: datetime
    area: Area | None
    declarations: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    audit: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    simulated: bool = False

    def json(self) -> dict[str, Any]:
        return {
            "type": REPORT_TYPE, "party": self.party,
            "from": format_rfc3339(self.start), "to": format_rfc3339(self.end),
            "area": None if self.area is None else [self.area.min_lat, self.area.min_lon,
                                                     self.area.max_lat, self.area.max_lon],
            "clock": "simulated" if self.simulated else "system",
            "declarations": self.declarations, "alerts": self.alerts,
            "messages": self.messages, "tracks": self.tracks, "timeline": self.timeline,
            "audit": self.audit, "notes": self.notes,
        }


def _within(text: str | None, start: datetime, end: datetime) -> bool:
    return text is not None and start <= parse_rfc3339(text) <= end


def _pages_alerts(desks: Desks, actor: Actor) -> Iterator[dict[str, Any]]:
    after = None
    while True:
        page = desks.alerts.list(actor, after=after, limit=1000)
        yield from (alert_json(a) for a in page)
        if len(page) < 1000:
            return
        after = page[-1].id


def _pages_messages(desks: Desks, actor: Actor, box: str) -> Iterator[dict[str, Any]]:
    after = None
    while True:
        page = desks.messages.list(actor, box, after=after, limit=1000)
        yield from (message_json(m) for m in page)
        if len(page) < 1000:
            return
        after = page[-1].id


def _deliveries(desks: Desks, actor: Actor) -> dict[str, list[dict[str, Any]]]:
    """Signed delivery receipts of the party's events, by item id."""
    out: dict[str, list[dict[str, Any]]] = {}
    after = 0
    while True:
        page = desks.events.list(actor, after, 1000)
        for e in page:
            if e.receipt is not None:
                out.setdefault(e.item_id, []).append(dict(e.receipt))
        if len(page) < 1000:
            return out
        after = page[-1].seq


def _alert_row(a: dict[str, Any], delivered: list[dict[str, Any]]) -> dict[str, Any]:
    lead = a["body"].get("lead_time") or {}
    delivery = a.get("delivery") or {}
    receipts = [r for r in [*delivered, (a.get("ack") or {}).get("receipt")] if r]
    return {
        "id": a["id"], "party": a["party"], "kind": a["kind"], "severity": a["severity"],
        "subject": a["subject"], "other": a["other"],
        "with_owner": (a["body"].get("with") or {}).get("owner"),
        "created_at": a["created_at"],
        "lead_time_at_filing_s": lead.get("measured_s"),
        "lead_time_required_s": lead.get("required_s"),
        "lead_time_at_delivery_s": delivery.get("lead_time_s"),
        "delivered_at": delivery.get("at"),
        "counterparty_delivered_at": (a.get("counterparty_delivery") or {}).get("at"),
        "ack": None if not a.get("ack") else {"at": a["ack"]["at"], "by": a["ack"]["by"]},
        "escalated_at": a.get("escalated_at"), "unacked_at": a.get("unacked_at"),
        "time_to_entry_s": a["body"].get("time_to_entry_s"),
        "time_to_violation_s": a["body"].get("time_to_violation_s"),
        "receipts": receipts,
    }


def _message_row(m: dict[str, Any], delivered: list[dict[str, Any]]) -> dict[str, Any]:
    body = m.get("body") or {}
    ack = m.get("ack") or {}
    return {
        "id": m["id"], "from": m["from"], "to": m["to"], "officer": m.get("officer"),
        "created_at": m["created_at"], "template": m.get("template"),
        "text": body.get("text"), "fields": body.get("fields"),
        "in_reply_to": m.get("in_reply_to"), "content_hash": m.get("content_hash"),
        "ack": None if not ack else {"at": ack["at"], "by": ack["by"]},
        "receipts": [r for r in [*delivered, ack.get("receipt")] if r],
    }


def _declarations(desks: Desks, actor: Actor, start: datetime, end: datetime,
                  area: Area | None) -> list[dict[str, Any]]:
    out = []
    for kind in (Kind.ZONE, Kind.NOTICE):
        after = None
        while True:
            views = desks.service.list(actor, kind, limit=1000, after=after)
            for v in views:
                d = v.declaration
                filed = start <= d.filed_at <= end
                active = any(vol.window.start <= end and vol.window.end >= start
                             for vol in d.volumes)
                if not (filed or active):
                    continue
                if area is not None and not _meets(d.volumes, area):
                    continue
                if v.full:
                    row = declaration_to_json(d)
                    row["conflicts_with"] = sorted(c.other.id for c in v.conflicts)
                else:  # need to know: only that the airspace is reserved
                    row = {"id": d.id, "kind": d.kind.value, "owner": d.owner,
                           "version": d.version, "details": "withheld"}
                row["full"] = v.full
                row["outlines"] = [footprint_to_json(vol.footprint) for vol in d.volumes]
                out.append(row)
            if len(views) < 1000:
                break
            after = views[-1].declaration.id
    return out


def _meets(volumes: Sequence[Any], area: Area) -> bool:
    from shapely import box

    frame = box(area.min_lon, area.min_lat, area.max_lon, area.max_lat)
    for v in volumes:
        f = footprint_to_json(v.footprint)
        if "outline_polygon" in f:
            pts = [(p["lng"], p["lat"]) for p in f["outline_polygon"]["vertices"]]
        else:
            c = f["outline_circle"]["center"]
            r_deg = f["outline_circle"]["radius"]["value"] / 111_000.0
            pts = [(c["lng"] - r_deg, c["lat"] - r_deg), (c["lng"] + r_deg, c["lat"] + r_deg)]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        if box(min(xs), min(ys), max(xs), max(ys)).intersects(frame):
            return True
    return False


def _tracks(desks: Desks, party: str, alerts: Sequence[dict[str, Any]], start: datetime,
            end: datetime, area: Area | None, notes: list[str]) -> list[dict[str, Any]]:
    wanted_others: set[tuple[str, str]] = set()
    for a in alerts:
        body_refs = [a.get("subject_ref"), a.get("with_ref")]
        for ref in body_refs:
            if ref and ref.get("kind") == "track":
                wanted_others.add((ref["owner"], ref["id"]))
    store = desks.service.store
    with store.read() as tx:
        reader = getattr(tx, "track_reports", None)
        if reader is None:
            notes.append("this server keeps no track history: no tracks in this report")
            return []
        reports = reader(since=start, until=end)
    by_aircraft: dict[tuple[str, str], list[Any]] = {}
    for r in reports:
        key = (r.party, r.aircraft)
        if r.party == party or key in wanted_others:
            by_aircraft.setdefault(key, []).append(r)
    out = []
    for (owner, aircraft), rs in sorted(by_aircraft.items()):
        if area is not None and not any(area.contains(r.lat_deg, r.lon_deg) for r in rs):
            continue
        step = max(1, len(rs) // MAX_POINTS + (len(rs) % MAX_POINTS > 0))
        pts = rs[::step]
        out.append({"party": owner, "aircraft": aircraft,
                    "callsign": next((r.callsign for r in rs if r.callsign), ""),
                    "reports": len(rs), "first": format_rfc3339(rs[0].time),
                    "last": format_rfc3339(rs[-1].time),
                    "why": "own" if owner == party else "named in an alert",
                    "points": [[format_rfc3339(r.time), round(r.lat_deg, 5),
                                round(r.lon_deg, 5), round(r.alt_m, 1)] for r in pts]})
    return out


def _audit(desks: Desks, party: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The party's own records in the interval, each checked for inclusion under one freshly
    signed tree head (what a party can verify without the operator's full log)."""
    mine: list[tuple[int, bytes, dict[str, Any]]] = []
    after = -1
    while True:
        page = desks.audit.records(party, after, 1000)
        for it in page:
            if it.data is not None and _within(it.data.get("at"), start, end):
                mine.append((it.seq, it.leaf_hash, it.data))
        if len(page) < 1000:
            break
        after = page[-1].seq
    head = desks.audit.head()
    size = int(head["tree_size"])
    failures = []
    for seq, leaf, _ in mine:
        try:
            got, proof = desks.audit.inclusion(seq, size)
            check_inclusion(got, seq, proof.proof, proof.head or head, desks.audit.keys)
            if got != leaf:
                raise VerificationFailed(f"record #{seq} changed while being checked")
        except HotlineError as exc:
            failures.append(f"#{seq}: {exc.message}")
    actions: dict[str, int] = {}
    for _, _, data in mine:
        actions[data.get("action", "?")] = actions.get(data.get("action", "?"), 0) + 1
    return {"verified": not failures, "records": len(mine), "tree_head": head,
            "method": f"inclusion of {len(mine)} own record(s) in the signed tree head of "
                      f"size {size}",
            "failures": failures[:20], "actions": dict(sorted(actions.items()))}


def _timeline(data: ReportData) -> list[dict[str, Any]]:
    """One row per dated happening: (time, lane party, what, item)."""
    rows: list[dict[str, Any]] = []

    def add(t: str | None, party: str | None, what: str, item: str) -> None:
        if t is not None and party and _within(t, data.start, data.end):
            rows.append({"t": t, "party": party, "what": what, "item": item})

    for d in data.declarations:
        if d.get("full") and d["kind"] == "notice":
            add(d["filed_at"], d["owner"], "notice filed", d["id"])
    for a in data.alerts:
        add(a["created_at"], a["party"], "alert", a["id"])
        add(a["delivered_at"], a["party"], "delivered", a["id"])
        add(a["counterparty_delivered_at"], a.get("with_owner"), "delivered", a["id"])
        add((a["ack"] or {}).get("at"), a["party"], "acknowledged", a["id"])
        add(a["escalated_at"], a["party"], "escalated", a["id"])
        add(a["unacked_at"], a["party"], "unacknowledged", a["id"])
    for m in data.messages:
        add(m["created_at"], m["from"], "message", m["id"])
        add((m["ack"] or {}).get("at"), m["to"], "acknowledged", m["id"])
        for r in m["receipts"]:
            if r.get("event") == "delivered":
                add(r.get("at"), r.get("party"), "delivered", m["id"])
    return sorted(rows, key=lambda r: (r["t"], r["party"], r["what"], r["item"]))


def collect(desks: Desks, party: str, start: datetime, end: datetime,
            area: Area | None = None) -> ReportData:
    """Everything ``party`` may see of ``[start, end]`` (see the module contract)."""
    if end <= start:
        raise InvalidInput("--to must be after --from", hint="give an interval forwards in time")
    actor = Actor(party, f"{party}-report")
    data = ReportData(party, start, end, area)
    delivered = _deliveries(desks, actor)
    for a in _pages_alerts(desks, actor):
        if _within(a["created_at"], start, end):
            row = _alert_row(a, delivered.get(a["id"], []))
            row["subject_ref"] = a["body"].get("subject")
            row["with_ref"] = a["body"].get("with")
            data.alerts.append(row)
    seen: set[str] = set()
    for box in ("in", "out"):
        for m in _pages_messages(desks, actor, box):
            if m["id"] not in seen and _within(m["created_at"], start, end):
                seen.add(m["id"])
                data.messages.append(_message_row(m, delivered.get(m["id"], [])))
    data.messages.sort(key=lambda m: (m["created_at"], m["id"]))
    data.declarations = _declarations(desks, actor, start, end, area)
    data.tracks = _tracks(desks, party, data.alerts, start, end, area, data.notes)
    if area is not None:
        keep = {(t["party"], t["aircraft"]) for t in data.tracks}
        data.alerts = [a for a in data.alerts
                       if not any((r or {}).get("kind") == "track"
                                  for r in (a["subject_ref"], a["with_ref"]))
                       or any((r or {}).get("kind") == "track"
                              and (r["owner"], r["id"]) in keep
                              for r in (a["subject_ref"], a["with_ref"]))]
    data.audit = _audit(desks, party, start, end)
    data.timeline = _timeline(data)
    data.simulated = any(r.get("clock") == "simulated"
                         for x in (*data.alerts, *data.messages) for r in x["receipts"])
    return data
