"""Alerts from the strategic layer on both engines: one conflict alert per party per pair
(never duplicated by re-finding or retrying), late-notice alerts, acknowledgment that is
idempotent, audited in the same transaction and answered with a signed receipt."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import box, vol
from hotline.adapters.audit_key import load_or_create_audit_signer
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.audit import BadSignature, canonical_json, verify_signed
from hotline.auditing import verify_store
from hotline.domain.errors import NotFound
from hotline.relay.alerts import RECEIPT_TYPE, content_hash
from hotline.relaying import AlertDesk
from hotline.service import Actor, HotlineService, NoticeDraft
from test_audit_store import rows

BLUE, RED, CIVIL = Actor("blue", "blue-1"), Actor("red", "red-1"), Actor("civil", "civil-1")


def _actions(store: SqlStore) -> list[tuple[str, str]]:
    return [(json.loads(r.data)["action"], r.party) for r in rows(store)]


def _kinds(desk: AlertDesk, actor: Actor) -> list[tuple[str, str, str, str]]:
    return [(a.kind.value, a.severity.value, a.subject.id, a.other.id)
            for a in desk.list(actor)]


def test_overlapping_notices_raise_one_conflict_alert_per_party(
    store: SqlStore, clock: ManualClock, tmp_path: Path
) -> None:
    svc = HotlineService(store, clock)
    desk = AlertDesk(store, clock, load_or_create_audit_signer(tmp_path))
    start = clock.now() + timedelta(hours=2)
    svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(50, 10, 5), start),)))
    svc.put_notice(CIVIL, "c1", NoticeDraft((vol(box(20, 10, 5), start),)))  # far away
    assert desk.list(BLUE) == [] and desk.list(RED) == []
    clock.advance(1)
    svc.put_notice(RED, "r1", NoticeDraft((vol(box(50.02, 10, 5), start),)))
    assert _kinds(desk, BLUE) == [("conflict", "warning", "b1", "r1")]
    assert _kinds(desk, RED) == [("conflict", "warning", "r1", "b1")]
    assert desk.list(CIVIL) == []
    (blue_alert,) = desk.list(BLUE)
    body = blue_alert.body
    assert body["subject"] == {"kind": "notice", "id": "b1", "owner": "blue"}
    assert body["with"] == {"kind": "notice", "id": "r1", "owner": "red"}
    assert body["found_by"]["id"] == "r1" and body["overlaps_total"] == 1
    assert body["window"] == {"start": "2026-11-24T14:00:00Z", "end": "2026-11-24T15:00:00Z"}
    assert body["overlaps"][0]["lower_m"] == 0.0 and body["overlaps"][0]["upper_m"] == 1000.0
    assert body["lead_time"]["late"] is False
    # re-found from the other side (blue amends), re-found by the same side (red amends),
    # and a retried identical write: still exactly one alert each
    clock.advance(1)
    svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(50.01, 10, 5), start),)), 1)
    svc.put_notice(RED, "r1", NoticeDraft((vol(box(50.02, 10, 5), start),), purpose="x"), 1)
    svc.put_notice(RED, "r1", NoticeDraft((vol(box(50.02, 10, 5), start),), purpose="x"), 2)
    assert len(desk.list(BLUE)) == 1 and len(desk.list(RED)) == 1
    assert desk.list(BLUE)[0] == blue_alert  # unchanged: the first detection stands
    # each alert has its alert.create record, readable in full by the addressee
    creates = [(a, p) for a, p in _actions(store) if a == "alert.create"]
    assert sorted(creates) == [("alert.create", "blue"), ("alert.create", "red")]
    assert _actions(store)[:5] == [("notice.put", "blue"), ("notice.put", "civil"),
                                   ("notice.put", "red"), ("alert.create", "red"),
                                   ("alert.create", "blue")]
    record = next(json.loads(r.data) for r in rows(store) if r.party == "blue"
                  and json.loads(r.data)["action"] == "alert.create")
    assert record["alert"] == {"id": blue_alert.id, "kind": "conflict", "severity": "warning",
                               "content_hash": content_hash(blue_alert.body)}
    assert record["cause"]["party"] == "red" and record["officer"] == "hotline"
    assert verify_store(store, {}).ok


def test_late_notice_alerts_the_other_party(
    store: SqlStore, clock: ManualClock, tmp_path: Path
) -> None:
    svc = HotlineService(store, clock)
    desk = AlertDesk(store, clock, load_or_create_audit_signer(tmp_path))
    svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(50, 10, 5), clock.now() + timedelta(
        minutes=4)),)))
    soon = clock.now() + timedelta(minutes=5)  # 300 s ahead; 900 s required
    late = svc.put_notice(RED, "r1", NoticeDraft((vol(box(50.02, 10, 5), soon),)))
    assert late.declaration.lead_time.late
    # a late notice with no conflict alerts no one
    svc.put_notice(RED, "r2", NoticeDraft((vol(box(30, 10, 5), soon),)))
    assert sorted(_kinds(desk, BLUE)) == [("conflict", "urgent", "b1", "r1"),
                                          ("late_notice", "urgent", "b1", "r1")]
    assert _kinds(desk, RED) == [("conflict", "urgent", "r1", "b1")]
    (notice,) = [a for a in desk.list(BLUE) if a.kind.value == "late_notice"]
    assert notice.body["lead_time"] == {"measured_s": 300.0, "required_s": 900.0,
                                        "late": True}
    # re-filing the late notice again does not repeat the late-notice alert
    svc.put_notice(RED, "r1", NoticeDraft((vol(box(50.03, 10, 5), soon),)), 1)
    assert len(desk.list(BLUE)) == 2


def test_ack_is_idempotent_audited_and_receipted(
    store: SqlStore, clock: ManualClock, tmp_path: Path
) -> None:
    signer = load_or_create_audit_signer(tmp_path)
    svc, desk = HotlineService(store, clock), AlertDesk(store, clock, signer)
    start = clock.now() + timedelta(hours=2)
    svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(50, 10, 5), start),)))
    svc.put_notice(RED, "r1", NoticeDraft((vol(box(50.02, 10, 5), start),)))
    (alert,) = desk.list(BLUE)
    assert [a.id for a in desk.list(BLUE, unacked=True)] == [alert.id]
    # the other party cannot acknowledge it, and learns nothing of it
    with pytest.raises(NotFound) as red_try:
        desk.ack(RED, alert.id)
    with pytest.raises(NotFound) as nothing:
        desk.ack(RED, "al-doesnotexist")
    assert str(red_try.value) == str(nothing.value).replace("al-doesnotexist", alert.id)
    size_before = len(rows(store))
    clock.advance(30)
    receipt = desk.ack(Actor("blue", "blue-duty-7"), alert.id)
    clock.advance(30)
    again = desk.ack(Actor("blue", "blue-other"), alert.id)
    assert again == receipt
    statement = verify_signed(receipt, {signer.key_id: signer.public_key},
                              expected_type=RECEIPT_TYPE)
    evidence = statement.pop("audit")
    assert statement == {
        "type": "hotline.receipt.v1",
        "item": {"type": "alert", "id": alert.id, "content_hash": content_hash(alert.body)},
        "party": "blue", "officer": "blue-duty-7", "event": "acknowledged",
        "at": "2026-11-24T12:00:30Z", "audit_seq": size_before,
    }
    got = rows(store)
    assert len(got) == size_before + 1  # exactly one alert.ack record
    record = json.loads(got[statement["audit_seq"]].data)
    assert evidence["record"] == record  # the receipt embeds it, with a head covering it
    assert evidence["tree_head"]["tree_size"] == size_before + 1
    assert record["action"] == "alert.ack" and record["officer"] == "blue-duty-7"
    assert record["party"] == "blue" and record["alert"]["id"] == alert.id
    (acked,) = desk.list(BLUE)
    assert acked.ack_by == "blue-duty-7" and acked.receipt == receipt
    assert acked.ack_at is not None and acked.ack_at.isoformat().startswith("2026-11-24T12:00:30")
    assert desk.list(BLUE, unacked=True) == []
    assert verify_store(store, {signer.key_id: signer.public_key}).ok


def test_listing_pages_by_cursor(store: SqlStore, clock: ManualClock, tmp_path: Path) -> None:
    svc = HotlineService(store, clock)
    desk = AlertDesk(store, clock, load_or_create_audit_signer(tmp_path))
    start = clock.now() + timedelta(hours=2)
    svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(50, 10, 30), start),)))
    for i in range(5):
        clock.advance(0.5 if i % 2 else 1)  # whole and fractional seconds interleaved
        svc.put_notice(RED, f"r{i}", NoticeDraft((vol(box(50 + 0.01 * i, 10, 2), start),)))
    pages: list[list[str]] = []
    after: str | None = None
    while True:
        page = desk.list(BLUE, after=after, limit=2)
        pages.append([a.other.id for a in page])
        if len(page) < 2:
            break
        after = page[-1].id
    assert pages == [["r0", "r1"], ["r2", "r3"], ["r4"]]


def _flip(receipt: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(receipt))
    node = out
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return out


def test_changed_receipt_fails(clock: ManualClock, tmp_path: Path) -> None:
    """Every byte of the signed statement matters: change any one and it no longer verifies."""
    from hotline.adapters.storage.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "h.db")
    try:
        signer = load_or_create_audit_signer(tmp_path)
        svc, desk = HotlineService(store, clock), AlertDesk(store, clock, signer)
        start = clock.now() + timedelta(hours=2)
        svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(50, 10, 5), start),)))
        svc.put_notice(RED, "r1", NoticeDraft((vol(box(50.02, 10, 5), start),)))
        receipt = desk.ack(BLUE, desk.list(BLUE)[0].id)
    finally:
        store.close()
    keys = {signer.key_id: signer.public_key}
    body = {k: v for k, v in receipt.items() if k != "signature"}
    text = canonical_json(body).decode()
    changed = 0
    for i, ch in enumerate(text):
        if not (ch.isalnum() and ch not in "eE"):  # keep it JSON; still one byte changed
            continue
        other = "1" if ch.isdigit() and ch != "1" else ("2" if ch.isdigit() else
                                                      ("b" if ch != "b" else "c"))
        try:
            mutated = json.loads(text[:i] + other + text[i + 1:])
        except ValueError:
            continue
        with pytest.raises(BadSignature):
            verify_signed({**mutated, "signature": receipt["signature"]}, keys)
        changed += 1
    assert changed > 100
    sig = receipt["signature"]["value"]
    bad = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    with pytest.raises(BadSignature):
        verify_signed(_flip(receipt, ("signature", "value"), bad), keys)
    assert verify_signed(receipt, keys)["event"] == "acknowledged"


def test_add_alerts_inserts_only_new_ids_in_order(store: SqlStore, clock: ManualClock,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The store inserts the alerts whose id it does not hold yet (the first of ids repeated
    in one call) and answers those, in the given order, across the chunks that keep a
    statement's parameters under the engines' limits."""
    from hotline.adapters.storage import sql
    from hotline.domain.notice import Kind, Ref
    from hotline.ports import LockScope
    from hotline.relay.alerts import Alert, AlertKind, Severity

    def alert(i: int, party: str = "blue") -> Alert:
        me, other = Ref(Kind.NOTICE, f"n{i}", party), Ref(Kind.NOTICE, f"o{i}", "red")
        return Alert(f"al-{i:05d}", party, AlertKind.CONFLICT, Severity.WARNING, me, other,
                     {"i": i}, clock.now())

    with store.write(LockScope()) as tx:
        first = tx.add_alerts([alert(2), alert(1), alert(2, "green")])
    assert [(a.id, a.party) for a in first] == [("al-00002", "blue"), ("al-00001", "blue")]
    monkeypatch.setattr(sql, "_ALERTS_PER_INSERT", 7)
    many = [alert(i) for i in range(31, 0, -1)]  # 2 and 1 are stored already
    with store.write(LockScope()) as tx:
        added = tx.add_alerts(many)
    assert [a.id for a in added] == [a.id for a in many if a.id not in {"al-00001",
                                                                         "al-00002"}]
    with store.read() as tx:
        stored = tx.get_alert("al-00031")
        assert stored is not None and stored.body == {"i": 31}
        assert tx.get_alert("al-00002").party == "blue"  # type: ignore[union-attr]
