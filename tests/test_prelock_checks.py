"""A write finds its conflicts and builds its alerts *before* it takes the write lock, then
repeats only the candidate query under the lock (``HotlineService._put``; by default only
with ``early_checks="always"``; the default, "never", does it all under the lock). These tests put a
second party's write exactly between the two, on both engines, and check that nothing the
early pass saw stale survives: the late conflict is found, its alerts are raised, and a
declaration withdrawn and filed again (same id, version 1 again) is checked afresh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from builders import box, vol
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.alerting import AlertPlan
from hotline.domain.notice import Kind
from hotline.service import Actor, HotlineService, NoticeDraft, ServiceConfig

BLUE, RED, CIVIL = Actor("blue", "blue-1"), Actor("red", "red-1"), Actor("civil", "atc-1")


class Interleaved(HotlineService):
    """The service, with ``between`` run once after a write's early pass, before its lock
    (a deterministic interleaving of two writers, on the real store)."""

    between: Callable[[], None] | None = None
    plans: list[AlertPlan | None]

    def _plan(self, *args: Any, **kwargs: Any) -> AlertPlan | None:
        plan = super()._plan(*args, **kwargs)
        self.plans.append(plan)
        run, self.between = self.between, None
        if run is not None:
            run()
        return plan


def _blue_filed(store: SqlStore, clock: ManualClock
                ) -> tuple[Interleaved, HotlineService, datetime]:
    """Red's interleaved service, another service, and the start of blue's notice "b"."""
    svc = Interleaved(store, clock, ServiceConfig(early_checks="always"))
    svc.plans = []
    other = HotlineService(store, clock)
    t = clock.now() + timedelta(hours=1)
    other.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 10), t, 2),)))
    return svc, other, t


def test_a_write_landing_before_the_lock_is_still_found(store: SqlStore,
                                                        clock: ManualClock) -> None:
    svc, other, t = _blue_filed(store, clock)

    def file_c() -> None:
        other.put_notice(CIVIL, "c", NoticeDraft((vol(box(35.05, 37.05, 10), t, 2),)))

    svc.between = file_c
    result = svc.put_notice(RED, "r", NoticeDraft((vol(box(35.1, 37.1, 10), t, 2),)))

    assert sorted(c.other.id for c in result.conflicts) == ["b", "c"]
    (plan,) = svc.plans
    assert plan is not None and [c.other.id for c in plan.conflicts] == ["b"]  # stale
    with store.read() as tx:  # alerts for both pairs, to each party of each
        about = [tx.get_alert(i) for i in tx.alert_ids_about(Kind.NOTICE.value, "r")]
    assert sorted((a.party, a.other.id if a.party == "red" else a.subject.id)
                  for a in about if a is not None) == [
        ("blue", "b"), ("civil", "c"), ("red", "b"), ("red", "c")]
    assert sorted(c.other.id for c in other.get(CIVIL, Kind.NOTICE, "c").conflicts) == ["b", "r"]


def test_a_plan_that_still_fits_is_the_one_stored(store: SqlStore, clock: ManualClock) -> None:
    svc = Interleaved(store, clock, ServiceConfig(early_checks="always"))
    svc.plans = []
    t = clock.now() + timedelta(hours=1)
    svc.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 10), t, 2),)))
    result = svc.put_notice(RED, "r", NoticeDraft((vol(box(35.1, 37.1, 10), t, 2),)))
    plan = svc.plans[-1]
    assert plan is not None and plan.conflicts == result.conflicts
    with store.read() as tx:
        stored = {a.id: a for a in tx.alerts_for("red")} | {a.id: a for a in
                                                           tx.alerts_for("blue")}
    assert sorted(stored) == sorted(a.id for a in plan.alerts)
    for a in plan.alerts:
        assert stored[a.id].body == a.body and stored[a.id].deadline_at == a.deadline_at


def test_refiled_declaration_with_a_reused_version_is_checked_afresh(
        store: SqlStore, clock: ManualClock) -> None:
    """Blue withdraws ``b`` and files it again in another altitude band between red's early
    pass and red's lock: same id, version 1 again, other volumes. Red's early result for it
    must not be reused: the overlap reported is the new band's."""
    svc, other, t = _blue_filed(store, clock)

    def move() -> None:
        other.delete(BLUE, Kind.NOTICE, "b")
        other.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 10), t, 2, lo=500,
                                                     hi=3000),)))

    svc.between = move
    result = svc.put_notice(RED, "r", NoticeDraft((vol(box(35.1, 37.1, 10), t, 2),)))
    (plan,) = svc.plans
    assert plan is not None
    (early,) = plan.conflicts[0].overlaps
    assert (early.vertical.lower_m, early.vertical.upper_m) == (0, 1000)
    (c,) = result.conflicts
    (late,) = c.overlaps
    assert (late.vertical.lower_m, late.vertical.upper_m) == (500, 1000)


def test_withdrawn_and_refiled_at_the_same_instant_is_read_afresh(
        store: SqlStore, clock: ManualClock) -> None:
    """The decode cache is keyed by (kind, id, version, updated_at); a declaration withdrawn
    and filed again on a clock that did not move has all four the same, so the cache must
    also compare the stored text (it once returned the old volumes here)."""
    svc = HotlineService(store, clock)
    t = clock.now() + timedelta(hours=1)
    svc.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 10), t, 2),)))
    svc.put_notice(RED, "r1", NoticeDraft((vol(box(35.1, 37.1, 10), t, 2),)))  # reads "b"
    svc.delete(BLUE, Kind.NOTICE, "b")
    svc.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 10), t, 2, lo=500, hi=3000),)))
    (c,) = svc.put_notice(RED, "r2", NoticeDraft((vol(box(35.1, 37.1, 10), t, 2),))).conflicts
    (o,) = c.overlaps
    assert (o.vertical.lower_m, o.vertical.upper_m) == (500, 1000)


def test_by_default_there_is_no_early_pass(store: SqlStore, clock: ManualClock) -> None:
    """The default (``early_checks="never"``) and an explicit "never": no early pass, and the
    conflict is found under the lock."""
    for n, config in enumerate((ServiceConfig(), ServiceConfig(early_checks="never"))):
        early = config.early_checks + str(n)
        svc = Interleaved(store, clock, config)
        svc.plans = []
        t = clock.now() + timedelta(hours=1)
        lat = 35.0 + 2 * n  # apart from the other round's
        svc.put_notice(BLUE, f"b-{early}", NoticeDraft((vol(box(lat, 37, 10), t, 2),)))
        result = svc.put_notice(RED, f"r-{early}", NoticeDraft((vol(box(lat + 0.1, 37.1, 10),
                                                                        t, 2),)))
        assert svc.plans == [] and [c.other.id for c in result.conflicts] == [f"b-{early}"]
