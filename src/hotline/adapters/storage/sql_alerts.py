"""The portable SQL of an alert's life after it was raised, mixed into ``SqlTx``: delivery
(with its lead time), coordination, closure and reopening (migration 008).

Contract: each update changes a row only from the state it expects (delivery is recorded once;
an alert is closed once until reopened; coordination is recorded once per opening) and says
whether it did. Times are fixed-width RFC 3339 text (microseconds); ``coordinated_refs`` is a
JSON list of message ids; ``coordination_receipt`` the signed receipt of the coordination
(migration 009). :func:`lifecycle` decodes the ``LIFECYCLE_COLUMNS`` of a row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hotline.adapters.storage.sql_relay import stamp, unstamp
from hotline.adapters.storage.sql_rows import Row, RowsMixin, in_chunks
from hotline.domain.notice import Kind
from hotline.relay.alerts import Coordination, Delivery, Severity, ids_of_pair, required_lead_s

LIFECYCLE_COLUMNS = ("delivered_at, delivered_by, delivery_lead_s, closed_at, closed_reason, "
                     "coordinated_at, coordinated_by, coordinated_refs, reopened, "
                     "coordination_receipt")


def lifecycle(party: str, body: Mapping[str, Any], cols: Row) -> dict[str, Any]:
    """The :class:`~hotline.relay.alerts.Alert` fields stored in ``LIFECYCLE_COLUMNS``."""
    (delivered_at, delivered_by, lead_s, closed_at, reason, coord_at, coord_by, refs,
     reopened, coord_receipt) = cols
    delivery = None
    if delivered_at is not None:
        delivery = Delivery(party, stamp_of(delivered_at), str(delivered_by), float(lead_s),
                            required_lead_s(body))
    coordinated = None
    if coord_at is not None:
        coordinated = Coordination(stamp_of(coord_at), str(coord_by),
                                   tuple(json.loads(refs or "[]")),
                                   None if coord_receipt is None else json.loads(coord_receipt))
    return {"delivery": delivery, "closed_at": unstamp(closed_at), "closed_reason": reason,
            "coordinated": coordinated, "reopened": int(reopened or 0)}


def stamp_of(text: str) -> datetime:
    found = unstamp(text)
    assert found is not None
    return found


class AlertLifecycleRows(RowsMixin):
    """Needs the host transaction's ``_all`` and ``_run``."""

    def alert_delivered(self, id: str, at: datetime, by: str, lead_s: float) -> bool:
        """Record the first delivery of alert ``id``; False if it was recorded before."""
        if self._all("SELECT 1 FROM alerts WHERE id = ? AND delivered_at IS NULL", (id,)):
            self._run("UPDATE alerts SET delivered_at = ?, delivered_by = ?, delivery_lead_s = ? "
                      "WHERE id = ? AND delivered_at IS NULL", (stamp(at), by, lead_s, id))
            return True
        return False

    def alert_deliveries(self, ids: Sequence[str]) -> dict[str, Delivery]:
        """The recorded deliveries of the alerts ``ids`` that have one, by id."""
        out: dict[str, Delivery] = {}
        for marks, chunk in in_chunks(list(dict.fromkeys(ids))):
            for id_, party, body, at, by, lead_s in self._all(
                    "SELECT id, party, body, delivered_at, delivered_by, delivery_lead_s "
                    f"FROM alerts WHERE id IN ({marks}) AND delivered_at IS NOT NULL", chunk):
                out[id_] = Delivery(party, stamp_of(at), str(by), float(lead_s),
                                    required_lead_s(json.loads(body)))
        return out

    def alert_ids_about(self, kind: str, id: str, *, open_only: bool = True) -> list[str]:
        """The ids of the alerts of the pairs of declaration (kind, id) and those it is
        recorded as conflicting with (see :meth:`hotline.ports.StoreTx.alert_ids_about`):
        found from the conflict rows and the pair's deterministic alert ids, so the alerts
        table needs no index by subject or other (two random pages per alert fewer)."""
        wanted = [i for c in self.conflicts_of(Kind(kind), id)
                  for i in ids_of_pair(c.subject, c.other)]
        extra = " AND closed_at IS NULL" if open_only else ""
        found: set[str] = set()
        for marks, chunk in in_chunks(wanted):
            found.update(str(r[0]) for r in self._all(
                f"SELECT id FROM alerts WHERE id IN ({marks}){extra}", chunk))
        return sorted(found)

    def close_alert(self, id: str, at: datetime, reason: str) -> bool:
        """Close open alert ``id`` for ``reason``; False if it was closed already."""
        if self._all("SELECT 1 FROM alerts WHERE id = ? AND closed_at IS NULL", (id,)):
            self._run("UPDATE alerts SET closed_at = ?, closed_reason = ? "
                      "WHERE id = ? AND closed_at IS NULL", (stamp(at), reason, id))
            return True
        return False

    def coordinate_alert(self, id: str, at: datetime, by: str, refs: Sequence[str],
                         receipt: Mapping[str, Any]) -> bool:
        """Record that the addressee coordinated alert ``id`` (with the signed receipt);
        False if recorded already."""
        if self._all("SELECT 1 FROM alerts WHERE id = ? AND coordinated_at IS NULL", (id,)):
            self._run("UPDATE alerts SET coordinated_at = ?, coordinated_by = ?, "
                      "coordinated_refs = ?, coordination_receipt = ? "
                      "WHERE id = ? AND coordinated_at IS NULL",
                      (stamp(at), by, json.dumps(list(refs)),
                       json.dumps(receipt, separators=(",", ":")), id))
            return True
        return False

    def rearm_alert(self, id: str, body: Mapping[str, Any], severity: Severity,
                    deadline_at: datetime | None) -> bool:
        """Ask again for the acknowledgment of open, acknowledged alert ``id`` (its situation
        got worse): new body, severity and ack deadline; acknowledgment, escalation and
        delivery cleared, ``reopened`` + 1; False if it was closed or not acknowledged."""
        return self._renew(id, "closed_at IS NULL AND ack_at IS NOT NULL", "", body, severity,
                           deadline_at)

    def reopen_alert(self, id: str, body: Mapping[str, Any], severity: Severity,
                     deadline_at: datetime | None) -> bool:
        """Reopen closed alert ``id`` with a new body, severity and ack deadline: closure,
        acknowledgment, coordination, escalation and delivery cleared; False if it was
        open."""
        return self._renew(
            id, "closed_at IS NOT NULL",
            "closed_at = NULL, closed_reason = NULL, coordinated_at = NULL, "
            "coordinated_by = NULL, coordinated_refs = NULL, coordination_receipt = NULL, ",
            body, severity, deadline_at)

    def _renew(self, id: str, when: str, clear: str, body: Mapping[str, Any],
               severity: Severity, deadline_at: datetime | None) -> bool:
        """If alert ``id`` matches ``when``: clear ``clear`` and its acknowledgment,
        escalation and delivery, set body, severity and deadline, count ``reopened``."""
        if not self._all(f"SELECT 1 FROM alerts WHERE id = ? AND {when}", (id,)):
            return False
        self._run(
            f"UPDATE alerts SET {clear}ack_at = NULL, ack_by = NULL, "
            "receipt = NULL, escalated_at = NULL, escalation_level = 0, unacked_at = NULL, "
            "delivered_at = NULL, delivered_by = NULL, delivery_lead_s = NULL, "
            "body = ?, severity = ?, deadline_at = ?, reopened = reopened + 1 WHERE id = ?",
            (json.dumps(dict(body), separators=(",", ":")), severity.value,
             None if deadline_at is None else stamp(deadline_at), id))
        return True
