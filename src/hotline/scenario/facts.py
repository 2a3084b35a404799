"""Check a played scenario's expected facts (``[[expect]]``) against what the service recorded.

Contract: pure code over the :class:`~hotline.scenario.driver.Outcome` (the API's JSON) and
ground truth computed from the scenario's own routes (:mod:`hotline.scenario.tracks`). Each
expectation yields one :class:`FactResult`: ``ok``, ``missing`` (the fact is not there: the
demo fails), or ``pending`` — the check needs a server feature that is not present (e.g.
``POST /v1/tracks``), said in ``detail``; a pending check is never counted as passed.
A part of a fact that needs a feature not yet present (the delivery lead time in receipts)
is reported in ``detail`` as pending, and checked as soon as the data carries it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hotline.domain.time import format_rfc3339, parse_rfc3339
from hotline.scenario.driver import Outcome
from hotline.scenario.model import Expectation, Scenario
from hotline.scenario.tracks import first_entry, first_loss

OK, MISSING, PENDING = "ok", "missing", "pending"


@dataclass(frozen=True, slots=True)
class FactResult:
    fact: str
    status: str  # ok | missing | pending
    detail: str
    data: Mapping[str, Any]

    def json(self) -> dict[str, Any]:
        return {"fact": self.fact, "status": self.status, "detail": self.detail,
                "data": dict(self.data)}


def _all_alerts(out: Outcome) -> Iterator[dict[str, Any]]:
    for items in out.alerts.values():
        yield from items


def _mentions(alert: Mapping[str, Any], *names: str) -> bool:
    text = json.dumps(alert)
    return all(f'"{n}"' in text for n in names)


def _delivery(out: Outcome, party: str, item_id: str) -> Mapping[str, Any] | None:
    for e in out.events.get(party, []):
        if e["item_id"] == item_id and e["kind"] == "alert" and e.get("delivery"):
            d: Mapping[str, Any] = e["delivery"]
            return d
    return None


def late_notice(sc: Scenario, out: Outcome, p: Mapping[str, Any]) -> FactResult:
    notice, to, max_lead = str(p["notice"]), str(p["to"]), float(p.get("max_lead_s", 60))
    found = [a for a in out.alerts.get(to, [])
             if a["kind"] == "late_notice" and a["other"]["id"] == notice]
    if not found:
        return FactResult("late_notice", MISSING, f"no late_notice alert to {to} about "
                          f"{notice}", {})
    a = found[0]
    lead = a["body"]["lead_time"]
    data: dict[str, Any] = {"alert": a["id"], "to": to, "notice": notice,
                            "lead_at_filing_s": lead["measured_s"],
                            "required_s": lead["required_s"]}
    if not (lead["late"] and lead["measured_s"] < max_lead):
        return FactResult("late_notice", MISSING, f"lead time at filing "
                          f"{lead['measured_s']:.0f} s is not late and under {max_lead:.0f} s",
                          data)
    detail = f"{notice} to {to}: lead time at filing {lead['measured_s']:.0f} s"
    d = _delivery(out, to, a["id"])
    if d is None:
        return FactResult("late_notice", MISSING, detail + "; never delivered", data)
    data["delivered_at"] = d["at"]
    at_delivery = (d.get("receipt") or {}).get("lead_time")
    if at_delivery is None:
        detail += "; at delivery: pending (the delivery receipt has no lead_time yet)"
        data["lead_at_delivery_s"] = None
    else:
        value = at_delivery.get("at_delivery_s")
        data["lead_at_delivery_s"] = value
        if not (isinstance(value, int | float) and value <= lead["measured_s"]
                and at_delivery.get("late")):
            return FactResult("late_notice", MISSING, detail + f"; lead time at delivery "
                              f"{value!r} is not late and at most that at filing", data)
        detail += f", at delivery {value:.0f} s (receipt signed)"
    return FactResult("late_notice", OK, detail, data)


def conflict(sc: Scenario, out: Outcome, p: Mapping[str, Any]) -> FactResult:
    a_id, b_id = (str(x) for x in p["between"])
    owners = {sc.filing(a_id).party: a_id, sc.filing(b_id).party: b_id}
    missing = [party for party, mine in owners.items()
               if not any(al["kind"] == "conflict" and al["subject"]["id"] == mine
                          and al["other"]["id"] in (a_id, b_id)
                          for al in out.alerts.get(party, []))]
    if missing:
        return FactResult("conflict", MISSING, f"no conflict alert {a_id} x {b_id} to "
                          f"{missing}", {})
    return FactResult("conflict", OK, f"{a_id} x {b_id}: both owners alerted",
                      {"between": [a_id, b_id], "parties": sorted(owners)})


def escalation(sc: Scenario, out: Outcome, p: Mapping[str, Any]) -> FactResult:
    party = str(p["party"])
    found = [a for a in out.alerts.get(party, [])
             if (a["kind"] == p.get("kind", a["kind"]))
             and a["other"]["id"] == p.get("other", a["other"]["id"])
             and a.get("escalation_level", 0) >= 1]
    if not found:
        return FactResult("escalation", MISSING, f"no escalated alert of {party} matching "
                          f"{dict(p)}", {})
    a = found[0]
    evs = [e["kind"] for e in out.events.get(party, [])
           if e["kind"] in ("escalation", "unacknowledged") and e["item_id"] == a["id"]]
    if "escalation" not in evs:
        return FactResult("escalation", MISSING, f"alert {a['id']} escalated but no "
                          f"escalation event reached {party}", {})
    detail = (f"{party} left {a['kind']} {a['subject']['id']} x {a['other']['id']} "
              f"unacknowledged: escalated at {a['escalated_at']}")
    if a.get("unacked_at"):
        detail += f", recorded unacknowledged at {a['unacked_at']}"
    return FactResult("escalation", OK, detail,
                      {"alert": a["id"], "party": party, "escalated_at": a["escalated_at"],
                       "unacked_at": a.get("unacked_at"), "events": evs})


def message_acknowledged(sc: Scenario, out: Outcome, p: Mapping[str, Any]) -> FactResult:
    sent = [m for items in out.outbox.values() for m in items]
    unacked = [m["id"] for m in sent if not m.get("ack")]
    if len(sent) < len(sc.messages) or unacked:
        return FactResult("message_acknowledged", MISSING,
                          f"{len(sent)} of {len(sc.messages)} messages sent, unacknowledged: "
                          f"{unacked}", {})
    return FactResult("message_acknowledged", OK, f"all {len(sent)} messages acknowledged "
                      "with signed receipts", {"messages": len(sent)})


def audit_verified(sc: Scenario, out: Outcome, p: Mapping[str, Any]) -> FactResult:
    v = out.audit_verify
    status = OK if v.get("ok") else MISSING
    return FactResult("audit_verified", status, f"audit log of {v.get('size')} records "
                      f"{'verified' if v.get('ok') else 'FAILED: ' + str(v.get('reason'))}",
                      {"size": v.get("size"), "root": v.get("root")})


def _first_alert(out: Outcome, kinds: tuple[str, ...], *names: str) -> dict[str, Any] | None:
    found = [a for a in _all_alerts(out)
             if any(k in a["kind"] for k in kinds) and _mentions(a, *names)]
    return min(found, key=lambda a: a["created_at"]) if found else None


def _before(fact: str, alert: Mapping[str, Any] | None, truth_s: float | None, start: datetime,
            what: str, data: dict[str, Any]) -> FactResult:
    if truth_s is None:
        return FactResult(fact, MISSING, f"the scenario's routes never reach the {what}: "
                          "fix the scenario", data)
    truth = start + timedelta(seconds=truth_s)
    data["truth_at"] = format_rfc3339(truth)
    if alert is None:
        return FactResult(fact, MISSING, f"no {fact} alert (the {what} is at "
                          f"{format_rfc3339(truth)})", data)
    raised = parse_rfc3339(alert["created_at"])
    margin = (truth - raised).total_seconds()
    data |= {"alert": alert["id"], "party": alert["party"], "raised_at": alert["created_at"],
             "margin_s": margin}
    if margin <= 0:
        return FactResult(fact, MISSING, f"alert raised {-margin:.0f} s after the {what}", data)
    return FactResult(fact, OK, f"raised {margin:.0f} s before the {what}", data)


def encounter(sc: Scenario, out: Outcome, p: Mapping[str, Any]) -> FactResult:
    a_id, b_id = (str(x) for x in p["aircraft"])
    ac = {a.id: a for a in sc.aircraft}
    truth = first_loss(ac[a_id], ac[b_id], sc.duration_s)
    return _before("encounter", _first_alert(out, ("encounter",), a_id, b_id), truth,
                   out.start, "loss of separation", {"aircraft": [a_id, b_id]})


def zone_approach(sc: Scenario, out: Outcome, p: Mapping[str, Any]) -> FactResult:
    a_id, zone = str(p["aircraft"]), str(p["zone"])
    ac = {a.id: a for a in sc.aircraft}
    truth = first_entry(ac[a_id], sc.filing(zone).volumes, sc.duration_s)
    return _before("zone_approach", _first_alert(out, ("zone_approach", "incursion"), a_id, zone),
                   truth, out.start, f"entry into {zone}", {"aircraft": a_id, "zone": zone})


CHECKS = {"late_notice": late_notice, "conflict": conflict, "escalation": escalation,
          "message_acknowledged": message_acknowledged, "audit_verified": audit_verified,
          "encounter": encounter, "zone_approach": zone_approach}


def check(sc: Scenario, out: Outcome) -> list[FactResult]:
    """One result per expectation, in the file's order."""
    results = []
    for e in sc.expectations:
        results.append(_check_one(sc, out, e))
    return results


def _check_one(sc: Scenario, out: Outcome, e: Expectation) -> FactResult:
    if e.requires is not None and e.requires not in out.features:
        return FactResult(e.fact, PENDING, f"needs the server feature {e.requires!r} "
                          "(not present on this server): not checked", dict(e.params))
    return CHECKS[e.fact](sc, out, e.params)
