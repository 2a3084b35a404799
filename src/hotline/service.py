"""Use cases: file, amend, withdraw and read notices and zones; find their conflicts.

Contract: every call names the acting :class:`Actor` (party, officer, scopes checked by the
API). Writes run the exact conflict check and the write in one store transaction. Time comes
only from the injected clock. Errors are :mod:`hotline.domain.errors` classes, nothing else.
Need to know: a party sees another party's declaration in full only where the two conflict;
otherwise only that the airspace is reserved (owner and volumes). Audit: every accepted write
and withdrawal appends one audit record (``notice.put``, ``zone.delete``...) in the same
transaction, naming the subject, its content hash and the conflicts found. Each conflict
found for the first time raises a ``conflict`` alert to both owners (and a late filing a
``late_notice`` alert to the other owner), stored with one ``alert.create`` record each and one
event in the addressee's stream (:mod:`hotline.relay.events`) in the same transaction
(:mod:`hotline.relay.alerts`); an amendment or withdrawal that ends a conflict closes its
alerts, and a closed pair found conflicting again reopens them (:mod:`hotline.alerting`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from hotline.alerting import AlertPlan, close_resolved, plan_alerts, raise_alerts
from hotline.domain.errors import Conflict as ConflictError
from hotline.domain.errors import Forbidden, InvalidInput, NotFound, TooLarge
from hotline.domain.notice import (
    MAX_PURPOSE_CHARS,
    Conflict,
    Declaration,
    Kind,
    LeadTime,
    Notice,
    NoticeState,
    Ref,
    VolumeOverlap,
    Zone,
    ZoneRole,
    check_id,
)
from hotline.domain.time import to_micros
from hotline.domain.volume import TimeWindow, Volume4D
from hotline.ports import (
    AuditEntry,
    Clock,
    IndexRow,
    LockScope,
    SpaceTimeQuery,
    Store,
    StoreTx,
)
from hotline.relay.escalation import AckPolicy
from hotline.strategic.cells import coarse_lock_keys, covering, query_for
from hotline.strategic.conflicts import overlaps
from hotline.strategic.exact import footprint_area_bound_m2, footprint_area_m2
from hotline.strategic.policy import LeadTimePolicy, SeparationPolicy

#: The officer named in records the service writes on its own account (e.g. alert creation).
SYSTEM_OFFICER = "hotline"


EarlyChecks = Literal["always", "never"]

#: Exact-check results of one write, per (kind, id, version) of the other declaration: its
#: volumes and the overlaps found with them.
Checked = dict[tuple[Kind, str, int],
               tuple[tuple[Volume4D, ...], tuple[VolumeOverlap, ...]]]


@dataclass(frozen=True, slots=True)
class Actor:
    party: str
    officer: str


@dataclass(frozen=True, slots=True)
class Limits:
    max_volumes: int = 100
    max_area_m2: float = 1_000_000e6  # 1,000,000 km²: larger than most countries
    max_duration_s: float = 366 * 86_400.0
    max_horizon_s: float = 2 * 366 * 86_400.0  # how far ahead a volume may start


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    separation: SeparationPolicy = field(default_factory=SeparationPolicy)
    lead_time: LeadTimePolicy = field(default_factory=LeadTimePolicy)
    limits: Limits = field(default_factory=Limits)
    ack: AckPolicy = field(default_factory=AckPolicy)
    #: Whether a write finds its conflicts and builds its alerts on a read snapshot before it
    #: takes the write lock ("always"), or all under the lock ("never"). Early checks shorten
    #: the time the lock is held, which pays when writers in *several processes* share one
    #: database; in one process the interpreter lock serialises the work anyway and the
    #: second candidate query made writes ~10 % slower (docs/BENCHMARKS.md), hence "never".
    early_checks: EarlyChecks = "never"


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    volumes: tuple[Volume4D, ...]
    state: NoticeState = NoticeState.ACCEPTED
    priority: int = 0
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class ZoneDraft:
    volumes: tuple[Volume4D, ...]
    role: ZoneRole = ZoneRole.AIRSPACE
    name: str = ""


@dataclass(frozen=True, slots=True)
class PutResult:
    declaration: Declaration
    conflicts: tuple[Conflict, ...]
    created: bool


@dataclass(frozen=True, slots=True)
class View:
    """A declaration as one party may see it."""

    declaration: Declaration
    full: bool  # False: only owner and reserved volumes may be shown
    conflicts: tuple[Conflict, ...]  # only those involving the viewer's party


#: What each kind of declaration conflicts with (other parties' ones only).
CONFLICTS_WITH: dict[Kind, tuple[Kind, ...]] = {
    Kind.NOTICE: (Kind.NOTICE, Kind.ZONE),
    Kind.ZONE: (Kind.NOTICE,),
}


class HotlineService:
    def __init__(self, store: Store, clock: Clock, config: ServiceConfig | None = None) -> None:
        self.store = store
        self.clock = clock
        self.config = config or ServiceConfig()

    # ------------------------------------------------------------------ checks
    def _check_volumes(self, volumes: Sequence[Volume4D], now: datetime) -> None:
        limits = self.config.limits
        if not volumes:
            raise InvalidInput("no volumes given", hint="give at least one Volume4D")
        if len(volumes) > limits.max_volumes:
            raise TooLarge(
                f"{len(volumes)} volumes exceed the limit of {limits.max_volumes}",
                hint="split the activity into several notices",
            )
        for i, v in enumerate(volumes):
            where = f"volumes[{i}]"
            if v.window.end <= now:
                raise InvalidInput(
                    f"time_end {v.window.end.isoformat()} is in the past",
                    hint="declare activity that has not ended yet",
                    where=where,
                )
            if v.window.seconds > limits.max_duration_s:
                raise TooLarge(
                    f"window of {v.window.seconds / 86400:.1f} days exceeds the limit of "
                    f"{limits.max_duration_s / 86400:.0f} days",
                    hint="use shorter windows",
                    where=where,
                )
            if v.window.start > now + timedelta(seconds=limits.max_horizon_s):
                raise TooLarge(
                    "time_start is too far in the future",
                    hint=f"declare at most {limits.max_horizon_s / 86400:.0f} days ahead",
                    where=where,
                )
            if footprint_area_bound_m2(v.footprint) <= limits.max_area_m2:
                continue  # the cheap bound settles it; exact area only near the limit
            area = footprint_area_m2(v.footprint)
            if area > limits.max_area_m2:
                raise TooLarge(
                    f"footprint area {area / 1e6:,.0f} km² exceeds the limit of "
                    f"{limits.max_area_m2 / 1e6:,.0f} km²",
                    hint="split the area or ask the operator to raise HOTLINE_MAX_AREA_KM2",
                    where=where,
                )

    # ------------------------------------------------------------------ index
    def _index_rows(
        self, volumes: Sequence[Volume4D], coverings: Sequence[tuple[int, ...]] | None = None
    ) -> list[IndexRow]:
        """Index rows: each volume's unbuffered covering (reused from the query coverings
        when the horizontal buffer is zero, since they are then the same cells)."""
        tol = self.config.separation.pressure_tolerance_m
        rows: list[IndexRow] = []
        for i, v in enumerate(volumes):
            lo, hi = v.band.w84_envelope(tol)
            t0, t1 = to_micros(v.window.start), to_micros(v.window.end)
            cells = coverings[i] if coverings is not None else covering(v.footprint)
            rows.extend(IndexRow(i, c, t0, t1, lo, hi) for c in cells)
        return rows

    def _queries(
        self, volumes: Sequence[Volume4D]
    ) -> tuple[list[SpaceTimeQuery], LockScope, list[tuple[int, ...]]]:
        """Per volume: the space-time query (covering widened by the horizontal buffer,
        band widened by the vertical one), the lock scope of all of them, and the coverings."""
        sep = self.config.separation
        queries: list[SpaceTimeQuery] = []
        all_cells: list[int] = []
        coverings: list[tuple[int, ...]] = []
        for v in volumes:
            cells = covering(v.footprint, sep.horizontal_buffer_m)
            coverings.append(cells)
            all_cells.extend(cells)
            lo, hi = v.band.w84_envelope(sep.pressure_tolerance_m)
            queries.append(
                SpaceTimeQuery(
                    query_for(cells),
                    to_micros(v.window.start),
                    to_micros(v.window.end),
                    lo - sep.vertical_buffer_m,
                    hi + sep.vertical_buffer_m,
                )
            )
        keys = coarse_lock_keys(all_cells)
        lock = LockScope(everything=True) if keys is None else LockScope(keys=keys)
        return queries, lock, coverings

    def _lock_of(self, volumes: Sequence[Volume4D]) -> LockScope:
        cells = [c for v in volumes
                 for c in covering(v.footprint, self.config.separation.horizontal_buffer_m)]
        keys = coarse_lock_keys(cells)
        return LockScope(everything=True) if keys is None else LockScope(keys=keys)

    def _find_conflicts(
        self, subject: Declaration, candidates: Sequence[Declaration], checked: Checked,
    ) -> tuple[Conflict, ...]:
        """The conflicts of ``subject`` with ``candidates`` (exact checks via ``checked``)."""
        found = []
        me = Ref(subject.kind, subject.id, subject.owner)
        for other in candidates:
            hits = self._overlaps(subject.volumes, other, checked)
            if not hits:
                continue
            later = subject if subject.filed_at >= other.filed_at else other
            required = self.config.lead_time.required_s(subject.owner, other.owner)
            found.append(
                Conflict(
                    subject=me,
                    other=Ref(other.kind, other.id, other.owner),
                    overlaps=hits,
                    detected_at=subject.updated_at,
                    lead_time=LeadTime(later.lead_time.measured_s, required),
                )
            )
        return tuple(found)

    @staticmethod
    def _candidates(tx: StoreTx, kind: Kind, owner: str,
                    queries: Sequence[SpaceTimeQuery]) -> list[Declaration]:
        """Other parties' declarations the index finds near ``queries``, in (kind, id) order."""
        seen: dict[tuple[Kind, str], Declaration] = {}
        for q in queries:
            for cand in tx.candidates(q, CONFLICTS_WITH[kind], owner):
                seen.setdefault((cand.kind, cand.id), cand)
        return [seen[k] for k in sorted(seen)]

    def _overlaps(self, volumes: tuple[Volume4D, ...], other: Declaration,
                  checked: Checked) -> tuple[VolumeOverlap, ...]:
        """The exact check of ``volumes`` against ``other``, once per version of ``other``."""
        key = (other.kind, other.id, other.version)
        known = checked.get(key)
        # (The volumes are compared too: a declaration withdrawn and filed again restarts at
        # version 1. The decode cache usually hands out the same objects, so this is cheap.)
        if known is not None and (known[0] is other.volumes or known[0] == other.volumes):
            return known[1]
        hits = overlaps(volumes, other.volumes, self.config.separation)
        checked[key] = (other.volumes, hits)
        return hits

    # ------------------------------------------------------------------ writes
    def put_notice(
        self, actor: Actor, id: str, draft: NoticeDraft, expected_version: int | None = None
    ) -> PutResult:
        if not (0 <= draft.priority <= 100):
            raise InvalidInput(f"priority {draft.priority} is out of range", hint="use 0..100")
        if len(draft.purpose) > MAX_PURPOSE_CHARS:
            raise TooLarge(
                f"purpose has {len(draft.purpose)} characters",
                hint=f"keep it under {MAX_PURPOSE_CHARS}",
            )

        def build(base: dict[str, object]) -> Declaration:
            return Notice(
                **base,  # type: ignore[arg-type]
                state=draft.state,
                priority=draft.priority,
                purpose=draft.purpose,
            )

        return self._put(actor, Kind.NOTICE, id, draft.volumes, build, expected_version)

    def put_zone(
        self, actor: Actor, id: str, draft: ZoneDraft, expected_version: int | None = None
    ) -> PutResult:
        if len(draft.name) > 200:
            raise TooLarge("zone name is too long", hint="keep it under 200 characters")

        def build(base: dict[str, object]) -> Declaration:
            return Zone(**base, role=draft.role, name=draft.name)  # type: ignore[arg-type]

        return self._put(actor, Kind.ZONE, id, draft.volumes, build, expected_version)

    def _put(
        self,
        actor: Actor,
        kind: Kind,
        id: str,
        volumes: tuple[Volume4D, ...],
        build: object,
        expected_version: int | None,
    ) -> PutResult:
        check_id(id, f"{kind.value} id")
        now = self.clock.now()
        self._check_volumes(volumes, now)
        queries, lock, coverings = self._queries(volumes)
        same = self.config.separation.horizontal_buffer_m == 0.0
        index = self._index_rows(volumes, coverings if same else None)
        measured = (min(v.window.start for v in volumes) - now).total_seconds()
        serialised = self.store.serialises_all_writes
        checked: Checked = {}
        # The lock of where the declaration was before this write (once seen): ours must
        # cover it too.
        old_lock: LockScope | None = None
        for _ in range(5):
            # With early checks, first, outside the lock, on a read snapshot: the prior
            # version, the exact checks against every candidate (the costly part, remembered
            # per version of each candidate) and the alerts they raise. Under the lock the
            # candidate query runs again, only what changed since is checked, and the alerts
            # are only stored, so writers hold the lock for less time.
            planned: AlertPlan | None = None
            if self.config.early_checks == "always":
                with self.store.read() as tx:
                    prior = tx.get(kind, id)
                    seen = self._candidates(tx, kind, actor.party, queries)
                planned = self._plan(actor, kind, id, volumes, build, prior, seen, checked,
                                     now, measured)
                old_lock = None if prior is None else self._lock_of(prior.volumes)
            # The lock must also cover where the declaration was, so that a concurrent writer
            # cannot record a conflict with the old volumes after we moved them. (Where one
            # lock serialises all writes, it does: no need to widen it.) The old volumes are
            # read under the lock: if the lock does not cover them, the write starts again
            # with a lock that does (new declarations, and amendments within the same coarse
            # cells, the usual case, need one round).
            scope = lock if serialised or old_lock is None else _union(lock, old_lock)
            with self.store.write(scope) as tx:
                existing = tx.get(kind, id)
                if not serialised and existing is not None:
                    old_lock = self._lock_of(existing.volumes)
                    if not _covers(scope, old_lock):
                        continue  # the lock misses where it was: widen it and look again
                self._check_write(actor, kind, id, existing, expected_version)
                declaration, refiled = self._declaration(actor, kind, id, volumes, build,
                                                         existing, now, measured)
                conflicts = self._find_conflicts(
                    declaration, self._candidates(tx, kind, actor.party, queries), checked)
                # (the open alerts about it are found from its conflict rows: read them first)
                about = [] if existing is None else tx.alert_ids_about(kind.value, id)
                tx.put(declaration, index, new=existing is None)
                tx.replace_conflicts(Ref(kind, id, actor.party), conflicts,
                                     new=existing is None)
                put_record = AuditEntry(
                    now, actor.party, actor.officer, f"{kind.value}.put", declaration,
                    {"conflicts": [{"kind": c.other.kind.value, "id": c.other.id,
                                    "owner": c.other.owner} for c in conflicts]},
                )
                lead: tuple[AuditEntry, ...] = (put_record,)
                if existing is not None:  # pairs that no longer conflict: alerts closed
                    tx.append_audit(put_record)
                    lead = ()
                    close_resolved(tx, Ref(kind, id, actor.party), conflicts, now,
                                   _cause(actor, declaration), about)
                if conflicts:
                    plan = planned
                    if plan is None or not plan.fits(declaration, conflicts, refiled):
                        plan = plan_alerts(declaration, conflicts, refiled, now,
                                           self.config.ack, _cause(actor, declaration))
                    raise_alerts(tx, plan, now, _cause(actor, declaration), lead)
                else:
                    tx.append_audits(lead)
                return PutResult(declaration, conflicts, created=existing is None)
        raise ConflictError(
            f"{kind.value} {id!r} kept changing while we tried to write it",
            hint="retry the request",
        )

    def _declaration(self, actor: Actor, kind: Kind, id: str, volumes: tuple[Volume4D, ...],
                     build: object, existing: Declaration | None, now: datetime,
                     measured: float) -> tuple[Declaration, bool]:
        """The declaration this write stores over ``existing``, and whether it (re)files
        volumes (new, or moved)."""
        refiled = existing is None or existing.volumes != volumes
        base: dict[str, object] = {
            "id": id,
            "owner": actor.party,
            "officer": actor.officer,
            "version": 1 if existing is None else existing.version + 1,
            "volumes": volumes,
            "created_at": now if existing is None else existing.created_at,
            "updated_at": now,
            "filed_at": now if refiled or existing is None else existing.filed_at,
            "lead_time": (
                LeadTime(measured, self.config.lead_time.required_s(actor.party))
                if refiled or existing is None
                else existing.lead_time
            ),
        }
        return build(base), refiled  # type: ignore[operator]

    def _plan(self, actor: Actor, kind: Kind, id: str, volumes: tuple[Volume4D, ...],
              build: object, prior: Declaration | None, candidates: Sequence[Declaration],
              checked: Checked, now: datetime, measured: float) -> AlertPlan | None:
        """The alerts this write will raise if nothing changes before it takes its lock:
        built outside the lock from what the read saw, with the exact checks (the locked
        part checks that the plan still fits, else builds it anew); ``None`` if none."""
        declaration, refiled = self._declaration(actor, kind, id, volumes, build, prior,
                                                 now, measured)
        conflicts = self._find_conflicts(declaration, candidates, checked)
        if not conflicts:
            return None
        return plan_alerts(declaration, conflicts, refiled, now, self.config.ack,
                           _cause(actor, declaration))

    @staticmethod
    def _check_write(
        actor: Actor,
        kind: Kind,
        id: str,
        existing: Declaration | None,
        expected_version: int | None,
    ) -> None:
        if existing is not None and existing.owner != actor.party:
            raise Forbidden(
                f"{kind.value} {id!r} belongs to party {existing.owner!r}",
                hint="a party may change only its own declarations; choose another id",
            )
        if existing is None and expected_version is not None:
            raise NotFound(
                f"{kind.value} {id!r} does not exist, so version {expected_version} cannot match",
                hint="omit 'version' to create it",
            )
        if existing is not None and expected_version is None:
            raise ConflictError(
                f"{kind.value} {id!r} already exists at version {existing.version}",
                hint=f"to update it, send \"version\": {existing.version}",
            )
        if existing is not None and expected_version != existing.version:
            raise ConflictError(
                f"{kind.value} {id!r} is at version {existing.version}, not {expected_version}",
                hint="someone changed it since you read it: GET it again, then retry",
            )

    def delete(
        self, actor: Actor, kind: Kind, id: str, expected_version: int | None = None
    ) -> Declaration:
        # Withdrawals are rare: take the global lock rather than the cells of the old volumes.
        now = self.clock.now()
        with self.store.write(LockScope(everything=True)) as tx:
            existing = tx.get(kind, id)
            if existing is None:
                raise NotFound(f"{kind.value} {id!r} does not exist", hint="check the id")
            if existing.owner != actor.party:
                raise Forbidden(
                    f"{kind.value} {id!r} belongs to party {existing.owner!r}",
                    hint="a party may withdraw only its own declarations",
                )
            if expected_version is not None and expected_version != existing.version:
                raise ConflictError(
                    f"{kind.value} {id!r} is at version {existing.version}, "
                    f"not {expected_version}",
                    hint="GET it again, then retry",
                )
            about = tx.alert_ids_about(kind.value, id)  # (from its conflict rows: read first)
            tx.delete(kind, id)
            tx.append_audit(AuditEntry(now, actor.party, actor.officer, f"{kind.value}.delete",
                                       existing))
            close_resolved(tx, Ref(kind, id, actor.party), (), now,
                           _cause(actor, existing, "delete"), about)
        return existing

    # ------------------------------------------------------------------ reads
    def _view(self, tx: StoreTx, actor: Actor, d: Declaration) -> View:
        conflicts = tuple(tx.conflicts_of(d.kind, d.id))
        if d.owner == actor.party:
            return View(d, True, conflicts)
        mine = tuple(c for c in conflicts if c.other.owner == actor.party)
        return View(d, bool(mine), mine)

    def get(self, actor: Actor, kind: Kind, id: str) -> View:
        with self.store.read() as tx:
            d = tx.get(kind, id)
            if d is None:
                raise NotFound(f"{kind.value} {id!r} does not exist", hint="check the id")
            return self._view(tx, actor, d)

    def list(
        self,
        actor: Actor,
        kind: Kind,
        *,
        mine_only: bool = False,
        area: Volume4D | None = None,
        window: TimeWindow | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[View]:
        """Declarations of ``kind`` by id; ``area`` keeps those meeting that 4D volume,
        ``window`` those active at some time in it."""
        if not (1 <= limit <= 1000):
            raise InvalidInput(f"limit {limit} is out of range", hint="use 1..1000")
        query = None
        if area is not None:
            query = self._queries([area])[0][0]
        with self.store.read() as tx:
            found = tx.browse(
                kind,
                owner=actor.party if mine_only else None,
                query=query,
                window_us=None if window is None else (to_micros(window.start),
                                                       to_micros(window.end)),
                limit=limit,
                after=after,
            )
            if area is not None:
                sep = replace(self.config.separation, horizontal_buffer_m=0.0,
                              vertical_buffer_m=0.0)
                found = [d for d in found if overlaps([area], d.volumes, sep)]
            return [self._view(tx, actor, d) for d in found]


def _cause(actor: Actor, d: Declaration, verb: str = "put") -> dict[str, object]:
    """The write that changed an alert, as its audit record names it."""
    return {"action": f"{d.kind.value}.{verb}", "party": actor.party, "kind": d.kind.value,
            "id": d.id, "version": d.version}


def _covers(scope: LockScope, needed: LockScope) -> bool:
    """Whether holding ``scope`` holds every key of ``needed``."""
    if scope.everything:
        return True
    return not needed.everything and set(needed.keys) <= set(scope.keys)


def _union(a: LockScope, b: LockScope) -> LockScope:
    if a.everything or b.everything:
        return LockScope(everything=True)
    return LockScope(keys=tuple(sorted(set(a.keys) | set(b.keys))))
